"""Regressions found using the `rapport` command: currency after `init`, `--intent`, and one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from rapport.cli.main import app
from rapport.domain import IntentReading

DATA = Path(__file__).parent / "data"
NOW = "2026-11-20T12:00:00+00:00"
LENA = "lena.fischer@example.com"


class RefusingClassifier:
    """Stands in for the trained model where `--intent` says it must not run."""

    def classify(self, text: str) -> IntentReading:
        raise AssertionError(f"the classifier ran on {text!r} although --intent was given")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh folder with its own database and policy path, as a merchant trying Rapport would have."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAPPORT_DATABASE_URL", f"sqlite:///{tmp_path / 'rapport.db'}")
    monkeypatch.setenv("RAPPORT_POLICY_PATH", str(tmp_path / "rapport.yaml"))
    monkeypatch.delenv("RAPPORT_MERCHANT", raising=False)
    monkeypatch.delenv("RAPPORT_LLM_BASE_URL", raising=False)
    return tmp_path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def rapport(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(app, list(args))


@pytest.fixture
def eur_store(workdir: Path, runner: CliRunner) -> Path:
    """`rapport init` (the merchant is created in the default policy's USD), an EUR policy, an import."""
    assert rapport(runner, "init").exit_code == 0
    policy = workdir / "rapport.yaml"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace("currency: USD", "currency: EUR"), encoding="utf-8"
    )
    shutil.copy(DATA / "store.jsonl", workdir / "store.jsonl")
    imported = rapport(runner, "import", "store.jsonl")
    assert imported.exit_code == 0, imported.output
    return workdir


def test_the_customer_card_follows_a_policy_switched_to_eur_after_init(
    eur_store: Path, runner: CliRunner
) -> None:
    result = rapport(runner, "profile", "dana.lee@example.com", "--now", NOW, "--json")
    assert result.exit_code == 0, result.output
    card = json.loads(result.stdout)
    assert (card["email"], card["currency"]) == ("dana.lee@example.com", "EUR")


def test_the_offer_and_the_card_agree_on_the_currency(eur_store: Path, runner: CliRunner) -> None:
    args = ("--email", LENA, "--message", "the dripper is cracked", "--intent", "damaged_item")
    triaged = rapport(runner, "triage", "--now", NOW, "--json", *args)
    assert triaged.exit_code == 0, triaged.output
    card = json.loads(rapport(runner, "profile", LENA, "--now", NOW, "--json").stdout)
    assert json.loads(triaged.stdout)["resolution"]["currency"] == card["currency"] == "EUR"


def test_triage_with_a_given_intent_does_not_run_the_classifier(
    eur_store: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("rapport.bootstrap.classifier_named", lambda _name: RefusingClassifier())
    args = ("--email", LENA, "--message", "the dripper is cracked", "--intent", "damaged_item")
    result = rapport(runner, "triage", "--now", NOW, "--json", *args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["intent"], out["order"]["name"]) == ("damaged_item", "#9100")


def test_triage_with_a_missing_policy_file_fails_in_one_line(eur_store: Path, runner: CliRunner) -> None:
    args = ("--email", LENA, "--message", "hello", "--policy", "nowhere.yaml")
    result = rapport(runner, "triage", "--now", NOW, *args)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ")
    assert "nowhere.yaml" in line


def test_serve_with_an_invalid_policy_names_file_and_line_and_exits_2_before_starting(
    workdir: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse_to_start(*args: object, **kwargs: object) -> None:
        raise AssertionError("uvicorn started although the policy is invalid")

    monkeypatch.setattr("uvicorn.run", refuse_to_start)
    bad = workdir / "rapport.yaml"
    bad.write_text(
        'currency: USD\nsegments:\n  - {name: x, when: "customer.orders_count >= "}\n', encoding="utf-8"
    )
    result = rapport(runner, "serve", "--port", "0")
    assert result.exit_code == 2, result.output
    assert f"{bad}:3:" in result.stderr
    assert "Traceback" not in result.output


# Exit codes: 0 success, 1 partial (some rows rejected) or a runtime failure, 2 usage or input errors.


def test_a_bad_now_is_an_input_error_with_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(app, ["init"]).exit_code == 0
    result = CliRunner().invoke(
        app, ["triage", "--email", "a@example.com", "--message", "hi", "--now", "next tuesday"]
    )
    assert result.exit_code == 2
    assert "--now" in result.output
    assert "Traceback" not in result.output


def test_a_missing_policy_is_an_input_error_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["profile", "a@example.com"])
    assert result.exit_code == 2
    assert "rapport init" in result.output


def test_a_bad_setting_in_the_environment_fails_in_one_line_naming_it(
    workdir: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAPPORT_INTENT_MODEL", "gpt")
    result = rapport(runner, "triage", "--email", LENA, "--message", "where is my parcel")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: RAPPORT_INTENT_MODEL: ")
