"""`rapport model train|eval|predict` through Typer's test runner, on a tiny app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from rapport.cli.model_cmd import register

runner = CliRunner()


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()

    @application.callback()
    def root() -> None:
        """A stand-in for the `rapport` application."""

    register(application)
    return application


@pytest.fixture
def messages(tmp_path: Path) -> Path:
    path = tmp_path / "messages.csv"
    path.write_text(
        "instruction,intent\n"
        '"the mug arrived broken, order #1042",damaged_item\n'
        "cancel order 1042 please,cancel_order\n"
        "where is my parcel? tracking 1Z999AA10123456784,where_is_my_order\n",
        encoding="utf-8",
    )
    return path


def test_predict_writes_one_json_object_per_row_in_order(
    app: typer.Typer, messages: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["model", "predict", "--data", str(messages), "--out", str(out)])
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert (result.exit_code, [r["intent"] for r in records]) == (
        0,
        ["damaged_item", "cancel_order", "where_is_my_order"],
    )


def test_predict_includes_confidence_and_entities(app: typer.Typer, messages: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    runner.invoke(app, ["model", "predict", "--data", str(messages), "--out", str(out)])
    first = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert (0 < first["confidence"] <= 1, first["entities"]) == (
        True,
        [{"kind": "order_ref", "value": "1042"}],
    )


def test_eval_prints_per_intent_scores_and_macro_f1(app: typer.Typer, messages: Path) -> None:
    result = runner.invoke(app, ["model", "eval", "--data", str(messages), "--mapping", "none"])
    assert (result.exit_code, "macro-F1: 1.000" in result.output) == (0, True)


def test_eval_of_a_missing_column_is_one_line_naming_the_file(app: typer.Typer, messages: Path) -> None:
    result = runner.invoke(
        app, ["model", "eval", "--data", str(messages), "--mapping", "none", "--column", "body"]
    )
    assert (result.exit_code, "messages.csv:1: missing column(s) body" in result.output) == (2, True)


def test_eval_rejects_an_unknown_mapping(app: typer.Typer, messages: Path) -> None:
    result = runner.invoke(app, ["model", "eval", "--data", str(messages), "--mapping", "zendesk"])
    assert result.exit_code == 2


def test_train_writes_a_model_that_predict_can_use(app: typer.Typer, messages: Path, tmp_path: Path) -> None:
    from rapport.understanding.training import EXAMPLES_CSV

    model = tmp_path / "model.joblib"
    trained = runner.invoke(
        app, ["model", "train", "--kind", "tfidf", "--data", str(EXAMPLES_CSV), "--out", str(model)]
    )
    out = tmp_path / "out.jsonl"
    predicted = runner.invoke(
        app, ["model", "predict", "--data", str(messages), "--out", str(out), "--model", str(model)]
    )
    assert (trained.exit_code, predicted.exit_code, len(out.read_text().splitlines())) == (0, 0, 3)


def test_train_without_the_data_file_says_where_it_looked(app: typer.Typer, tmp_path: Path) -> None:
    result = runner.invoke(app, ["model", "train", "--data", str(tmp_path / "absent.csv")])
    assert (result.exit_code, "absent.csv: no such file" in result.output) == (2, True)


def write_csv(tmp_path: Path, text: str, name: str = "backlog.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def predicted_intents(out: Path) -> list[str]:
    return [json.loads(line)["intent"] for line in out.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("column", ["message", "text", "body", "instruction"])
def test_predict_finds_the_message_column_by_its_usual_names(
    app: typer.Typer, tmp_path: Path, column: str
) -> None:
    data = write_csv(tmp_path, f"ticket,{column},email\nT-1,cancel order 1042 please,a@example.com\n")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["model", "predict", "--data", str(data), "--out", str(out)])
    assert (result.exit_code, predicted_intents(out)) == (0, ["cancel_order"])


def test_predict_prefers_message_over_the_other_usual_names(app: typer.Typer, tmp_path: Path) -> None:
    data = write_csv(tmp_path, "text,message\nthanks a lot,where is my parcel?\n")
    out = tmp_path / "out.jsonl"
    runner.invoke(app, ["model", "predict", "--data", str(data), "--out", str(out)])
    assert predicted_intents(out) == ["where_is_my_order"]


def test_predict_reads_the_column_named_by_column(app: typer.Typer, tmp_path: Path) -> None:
    data = write_csv(
        tmp_path,
        "message,Customer wrote\nwhere is my parcel?,cancel order 1042 please\n"
        "where is my parcel?,the mug arrived broken\n",
    )
    out = tmp_path / "out.jsonl"
    result = runner.invoke(
        app, ["model", "predict", "--data", str(data), "--column", "Customer wrote", "--out", str(out)]
    )
    assert (result.exit_code, predicted_intents(out)) == (0, ["cancel_order", "damaged_item"])


def test_predict_matches_a_header_ignoring_case_and_a_byte_order_mark(
    app: typer.Typer, tmp_path: Path
) -> None:
    data = tmp_path / "excel.csv"
    data.write_bytes("\ufeffMessage,Ticket\ncancel order 1042 please,T-1\n".encode())
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["model", "predict", "--data", str(data), "--out", str(out)])
    assert (result.exit_code, predicted_intents(out)) == (0, ["cancel_order"])


def test_predict_without_a_message_column_lists_the_columns_and_exits_2(
    app: typer.Typer, tmp_path: Path
) -> None:
    data = write_csv(tmp_path, "ticket,comment,email\nT-1,hello,a@example.com\n")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["model", "predict", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "no message column (looked for message, text, body, instruction)" in result.output
    assert "the columns are 'ticket', 'comment', 'email'" in result.output
    assert "--column" in result.output
    assert not out.exists()


def test_predict_with_an_absent_column_names_it_and_exits_2(app: typer.Typer, tmp_path: Path) -> None:
    data = write_csv(tmp_path, "message\nhello\n")
    result = runner.invoke(
        app,
        ["model", "predict", "--data", str(data), "--column", "body", "--out", str(tmp_path / "o.jsonl")],
    )
    assert (
        result.exit_code,
        "backlog.csv:1: no column 'body'; the columns are 'message'" in result.output,
    ) == (
        2,
        True,
    )


def test_predict_of_an_empty_file_exits_2(app: typer.Typer, tmp_path: Path) -> None:
    data = write_csv(tmp_path, "")
    result = runner.invoke(app, ["model", "predict", "--data", str(data), "--out", str(tmp_path / "o.jsonl")])
    assert (result.exit_code, "expected a header row" in result.output) == (2, True)


def test_predict_skips_blank_lines(app: typer.Typer, tmp_path: Path) -> None:
    data = write_csv(tmp_path, "message\ncancel order 1042 please\n\nthe mug arrived broken\n")
    out = tmp_path / "out.jsonl"
    runner.invoke(app, ["model", "predict", "--data", str(data), "--out", str(out)])
    assert predicted_intents(out) == ["cancel_order", "damaged_item"]


def test_predict_of_a_missing_file_is_one_line(app: typer.Typer, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["model", "predict", "--data", str(tmp_path / "absent.csv"), "--out", str(tmp_path / "o.jsonl")]
    )
    assert (result.exit_code, "absent.csv: cannot read" in result.output) == (2, True)


def predictions(app: typer.Typer, data: Path, out: Path, *options: str) -> list[dict[str, object]]:
    result = runner.invoke(app, ["model", "predict", "--data", str(data), "--out", str(out), *options])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_predict_gives_the_language_of_each_message(app: typer.Typer, tmp_path: Path) -> None:
    data = tmp_path / "backlog.csv"
    data.write_text(
        'message\nwhere is my parcel please\n"Bonjour, mon colis n\'est pas arrivé"\nok\n', encoding="utf-8"
    )
    found = predictions(app, data, tmp_path / "out.jsonl", "--classifier", "keywords")
    assert [r["language"] for r in found] == ["en", "fr", ""]


def test_predict_in_small_batches_writes_the_same_lines(
    app: typer.Typer, messages: Path, tmp_path: Path
) -> None:
    whole = predictions(app, messages, tmp_path / "a.jsonl", "--classifier", "tfidf")
    in_twos = predictions(app, messages, tmp_path / "b.jsonl", "--classifier", "tfidf", "--batch", "2")
    assert (len(whole), in_twos) == (3, whole)


def test_predict_runs_the_classifier_asked_for(app: typer.Typer, messages: Path, tmp_path: Path) -> None:
    found = predictions(app, messages, tmp_path / "out.jsonl", "--classifier", "keywords")
    assert [r["intent"] for r in found] == ["damaged_item", "cancel_order", "where_is_my_order"]


def test_predict_refuses_an_unknown_classifier(app: typer.Typer, messages: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "model",
            "predict",
            "--data",
            str(messages),
            "--out",
            str(tmp_path / "o.jsonl"),
            "--classifier",
            "gpt",
        ],
    )
    assert (result.exit_code, "--classifier 'gpt'" in result.output) == (2, True)


def test_eval_with_the_combined_classifier_reads_with_it_when_the_encoder_is_installed(
    app: typer.Typer, messages: Path
) -> None:
    from rapport.understanding.encoder import load_encoder

    result = runner.invoke(
        app, ["model", "eval", "--data", str(messages), "--mapping", "none", "--classifier", "combined"]
    )
    if load_encoder() is None:
        assert (result.exit_code, "combined model is not available" in result.output) == (2, True)
    else:
        assert (result.exit_code, "combined)" in result.output) == (0, True)


def test_train_refuses_an_unknown_kind_naming_the_kinds(app: typer.Typer, tmp_path: Path) -> None:
    from rapport.understanding.training import EXAMPLES_CSV

    result = runner.invoke(
        app, ["model", "train", "--kind", "bert", "--data", str(EXAMPLES_CSV), "--out", str(tmp_path / "m")]
    )
    assert (result.exit_code, "use tfidf, encoder, combined or all" in result.output) == (2, True)
