"""`rapport import` and `rapport model predict` on files they cannot use: one line, exit 2, no traceback;
a partly rejected import exits 1 and keeps the good lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from rapport.cli.main import app

NOW = "2026-11-20T12:00:00+00:00"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh folder with its own database and policy path."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAPPORT_DATABASE_URL", f"sqlite:///{tmp_path / 'rapport.db'}")
    monkeypatch.setenv("RAPPORT_POLICY_PATH", str(tmp_path / "rapport.yaml"))
    monkeypatch.delenv("RAPPORT_MERCHANT", raising=False)
    return tmp_path


@pytest.fixture
def store(workdir: Path) -> Path:
    """An initialised store (`rapport init`) in the fresh folder."""
    assert CliRunner().invoke(app, ["init"]).exit_code == 0
    return workdir


def rapport(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def one_line_error(result: Result) -> str:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    [line] = result.output.strip().splitlines()
    return line


@pytest.mark.parametrize("args", [["absent.jsonl"], ["shopify-orders", "absent.csv"]])
def test_a_missing_file_is_one_line_and_exit_2(workdir: Path, args: list[str]) -> None:
    result = rapport("import", *args)
    assert (result.exit_code, one_line_error(result)) == (2, f"error: {args[-1]}: no such file")


def test_a_folder_given_as_the_file_is_one_line_and_exit_2(workdir: Path) -> None:
    (workdir / "exports").mkdir()
    result = rapport("import", "shopify-customers", "exports")
    assert (result.exit_code, one_line_error(result)) == (2, "error: exports: not a file")


def test_a_binary_csv_is_one_line_and_exit_2(store: Path) -> None:
    (store / "orders.csv").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    result = rapport("import", "shopify-orders", "orders.csv")
    assert result.exit_code == 2
    assert one_line_error(result).startswith("error: orders.csv: not a CSV text file (binary byte 0x")


def test_a_binary_jsonl_file_is_one_line_and_exit_2(store: Path) -> None:
    (store / "store.jsonl").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    result = rapport("import", "store.jsonl")
    assert (result.exit_code, one_line_error(result)) == (
        2,
        "error: store.jsonl: not a JSON Lines file (it holds binary data)",
    )


def test_a_partly_rejected_import_exits_1_and_keeps_the_good_lines(store: Path) -> None:
    lines = [
        {"kind": "customer", "id": "c-1", "email": "ana@example.com"},
        {"kind": "order", "id": 1, "customer_id": "c-1", "created_at": NOW, "total": "100000000000000"},
        {"kind": "order", "id": 2, "customer_id": "c-1", "created_at": NOW, "total": "20.00"},
    ]
    (store / "store.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = rapport("import", "store.jsonl")
    assert result.exit_code == 1
    assert (
        "store.jsonl:2: order: total: 100000000000000 is more than the store holds (at most 9999999999.99)"
        in result.output
    )
    card = json.loads(rapport("profile", "ana@example.com", "--now", NOW, "--json").stdout)
    assert card["orders_count"] == 1


def test_predict_into_a_missing_folder_is_one_line_and_exit_2(workdir: Path) -> None:
    (workdir / "backlog.csv").write_text("message\nWhere is my parcel?\n", encoding="utf-8")
    result = rapport("model", "predict", "--data", "backlog.csv", "--out", "missing/intents.jsonl")
    assert (result.exit_code, one_line_error(result)) == (
        2,
        "error: --out missing/intents.jsonl: no folder 'missing' (create it first)",
    )
    assert not (workdir / "missing").exists()
