"""`rapport synth` on a temporary SQLite store: it writes the store the other commands then read, the same
rows for the same seed, and refuses bad input with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from cli_builders import one_command_app, sqlite_workdir
from rapport.cli import segments_cmd
from rapport.cli.main import app as main_app
from rapport.cli.synth_cmd import synth

NOW = "2026-11-20T12:00:00+00:00"


def register(app: typer.Typer) -> None:
    app.command("synth")(synth)  # as rapport.cli.main registers it
    segments_cmd.register(app)


APP = one_command_app(register)


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    return sqlite_workdir(tmp_path, monkeypatch)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(APP, list(args))
    return result.exit_code, result.stdout, result.stderr


def rows(url: str, query: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = [tuple(r) for r in connection.execute(text(query))]
    engine.dispose()
    return found


def test_synth_writes_the_customers_and_says_what_it_wrote(url: str) -> None:
    code, out, _ = run("synth", "--customers", "300", "--now", NOW)
    assert code == 0
    assert "300 customers" in out
    assert "rows/s" in out
    assert rows(url, "SELECT count(*) FROM customers") == [(300,)]
    assert rows(url, "SELECT slug FROM merchants") == [("acme",)]


def test_rapport_profile_shows_a_synthesized_customers_orders(url: str) -> None:
    assert run("synth", "--customers", "300", "--now", NOW)[0] == 0
    email, orders = rows(
        url,
        "SELECT c.email, count(o.id) FROM customers c JOIN orders o ON o.customer_id = c.id "
        "WHERE o.cancelled_at IS NULL AND o.financial_status NOT IN ('voided', 'refunded') "
        "GROUP BY c.id ORDER BY count(o.id) DESC LIMIT 1",
    )[0]
    result = CliRunner().invoke(main_app, ["profile", str(email), "--json", "--now", NOW])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["orders_count"] == orders


def test_the_segment_count_then_places_every_synthesized_customer(url: str) -> None:
    assert run("synth", "--customers", "300", "--now", NOW)[0] == 0
    code, out, _ = run("segments", "count", "--now", NOW)
    assert code == 0
    assert "300 customers, counted with one SQL query" in out


def test_the_same_seed_writes_the_same_orders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    totals = []
    for name in ("one", "two"):
        workdir = tmp_path / name
        workdir.mkdir()
        url = sqlite_workdir(workdir, monkeypatch)
        assert run("synth", "--customers", "200", "--seed", "9", "--now", NOW)[0] == 0
        totals.append(rows(url, "SELECT customer_id, total, created_at FROM orders ORDER BY id"))
    assert totals[0] == totals[1]
    assert totals[0]


def test_another_merchant_is_filled_with_the_merchant_option(url: str) -> None:
    assert run("synth", "--customers", "50", "--now", NOW, "--merchant", "bench")[0] == 0
    assert rows(url, "SELECT slug FROM merchants") == [("bench",)]


def test_a_merchant_that_already_has_customers_is_refused_with_exit_2(url: str) -> None:
    assert run("synth", "--customers", "50", "--now", NOW)[0] == 0
    code, _, err = run("synth", "--customers", "50", "--now", NOW)
    assert code == 2
    assert "already has 50 customers" in err
    assert rows(url, "SELECT count(*) FROM customers") == [(50,)]


@pytest.mark.parametrize(
    "args",
    [
        ("--customers", "0"),
        ("--customers", "10", "--orders-per-customer", "-1"),
        ("--customers", "10", "--now", "yesterday"),
        (),
    ],
    ids=["no-customers", "negative-orders", "bad-now", "missing-customers"],
)
def test_bad_input_exits_2_without_writing(url: str, args: tuple[str, ...]) -> None:
    code, _, err = run("synth", *args)
    assert code == 2
    assert "Traceback" not in err
    assert not Path(url.removeprefix("sqlite:///")).exists()
