"""The demo builds its store and shows the same problem handled differently per customer."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from rapport.cli.main import app
from rapport.demo.showcase import DEMO_NOW
from rapport.demo.synthetic import SHOWCASE, StoreGenerator


def test_the_same_seed_generates_the_same_store(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    StoreGenerator(seed=3, now=DEMO_NOW).write(a, 50)
    StoreGenerator(seed=3, now=DEMO_NOW).write(b, 50)
    assert a.read_bytes() == b.read_bytes()


def test_the_demo_runs_and_contrasts_vip_subscriber_and_first_time_buyer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo", "--customers", "200", "--database", str(tmp_path / "d.db")])
    assert result.exit_code == 0, result.output
    for segment in ("vip", "subscriber", "first_time"):
        assert segment in result.stdout
    assert SHOWCASE["claims"] in result.stdout
