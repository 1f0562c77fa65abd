"""`rapport segments count` end to end over an SQLite store: the table, the JSON, the fallback's warning,
exit codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli_builders import one_command_app, sqlite_workdir
from rapport.cli import segments_cmd
from rapport.policy import default_policy_text
from rapport.store.unit_of_work import units_of_work
from store_builders import StoreBuilder

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
APP = one_command_app(segments_cmd.register)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store with the merchant "acme": a VIP by spend, a subscriber, a loyal tag-holder, a first-timer."""
    url = sqlite_workdir(tmp_path, monkeypatch)
    store = StoreBuilder(units_of_work(url), now=NOW)
    vip = store.customer(email="vip@example.com")
    store.order(vip, total="2500.00")
    store.subscription(store.customer(email="subscriber@example.com"))
    store.customer(email="loyal@example.com", tags=("loyalty",))
    store.order(store.customer(email="first@example.com"), total="30.00")
    return tmp_path


def count(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(APP, ["segments", "count", "--now", NOW.isoformat(), *args])
    return result.exit_code, result.stdout, result.stderr


def test_the_table_lists_every_segment_of_the_policy_with_its_customers(workdir: Path) -> None:
    code, out, err = count()
    assert code == 0, err
    for name in ("vip", "subscriber", "loyal", "first_time", "standard"):
        assert name in out
    assert "4 customers, counted with one SQL query" in out
    assert err == ""


def test_json_gives_each_segments_size_in_policy_order(workdir: Path) -> None:
    code, out, _ = count("--json")
    assert code == 0
    result = json.loads(out)
    assert result["method"] == "sql"
    assert [(s["name"], s["customers"]) for s in result["segments"]] == [
        ("vip", 1),
        ("subscriber", 1),
        ("loyal", 1),
        ("first_time", 1),
        ("standard", 0),
    ]
    assert result["total"] == 4
    assert result["warnings"] == []


def test_a_rule_outside_the_sql_subset_is_counted_in_python_with_a_warning(workdir: Path) -> None:
    policy = workdir / "candidate.yaml"
    text = default_policy_text().replace(
        "\"'loyalty' in customer.tags || customer.orders_count >= 3\"",
        "\"customer.tags.exists(t, t == 'loyalty')\"",
    )
    assert text != default_policy_text()
    policy.write_text(text, encoding="utf-8")
    code, out, err = count("--policy", str(policy), "--json")
    assert code == 0
    result = json.loads(out)
    assert result["method"] == "python"
    assert [s["customers"] for s in result["segments"]] == [1, 1, 1, 1, 0]
    assert "warning: segments[2] loyal: the method .exists() cannot be counted in SQL" in err


def test_an_invalid_policy_file_is_an_input_error_naming_its_line(workdir: Path) -> None:
    policy = workdir / "broken.yaml"
    policy.write_text(
        default_policy_text().replace("customer.orders_count <= 1", "customer.orders_cont <= 1"),
        encoding="utf-8",
    )
    code, _, err = count("--policy", str(policy))
    assert code == 2
    line = next(i for i, text in enumerate(policy.read_text().splitlines(), 1) if "orders_cont " in text)
    assert err.startswith(f"{policy}:{line}:")


def test_a_missing_policy_file_is_an_input_error(workdir: Path) -> None:
    code, _, err = count("--policy", str(workdir / "nowhere.yaml"))
    assert code == 2
    assert "nowhere.yaml" in err


def test_an_unreadable_now_is_an_input_error(workdir: Path) -> None:
    result = CliRunner().invoke(APP, ["segments", "count", "--now", "next tuesday"])
    assert result.exit_code == 2
    assert "--now" in result.stderr
