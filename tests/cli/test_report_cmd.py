"""`rapport report` end to end over an SQLite store: the tables, the JSON, the HTML page, exit codes."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli_builders import one_command_app, sqlite_workdir
from outcome_builders import OutcomeBuilder
from rapport.cli import report_cmd
from rapport.config import Settings
from rapport.store.unit_of_work import units_of_work
from store_builders import StoreBuilder

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store with the merchant "acme": a VIP ticket with a grant and a CSAT answer, a standard one."""
    url = sqlite_workdir(tmp_path, monkeypatch)
    assert Settings().merchant == "acme"
    uow_factory = units_of_work(url)
    store = StoreBuilder(uow_factory, now=NOW)
    tickets = OutcomeBuilder(uow_factory, merchant_id=store.merchant_id, now=NOW)
    customer = store.customer()
    vip = tickets.ticket(segment="vip", customer_id=customer, days_ago=60, resolved_in=timedelta(hours=4))
    tickets.grant(vip, "15.00")
    tickets.csat(vip, 5)
    store.order(customer, days_ago=45)
    tickets.ticket(segment="standard", queue="standard", days_ago=10, answered_in=timedelta(hours=9))
    return tmp_path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def report(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(one_command_app(report_cmd.register), ["report", "--now", NOW.isoformat(), *args])
    return result.exit_code, result.stdout, result.stderr


def test_the_report_prints_service_and_value_tables_per_segment_and_queue(
    workdir: Path, runner: CliRunner
) -> None:
    code, out, _ = report(runner)
    assert code == 0, out
    for title in ("Service by segment", "Service by queue", "Cost, satisfaction and reorders by segment"):
        assert title in out
    assert "$15.00" in out
    assert "5.0 (1)" in out  # the VIP's CSAT


def test_json_prints_the_figures_unformatted(workdir: Path, runner: CliRunner) -> None:
    code, out, _ = report(runner, "--json")
    assert code == 0
    figures = json.loads(out)
    assert figures["segments"]["vip"]["granted"] == "15.00"
    assert figures["segments"]["standard"]["sla_missed"] == 1
    assert figures["total"]["sla_attainment"] == 0.5
    assert figures["segments"]["vip"]["reordered_30d"] == {"hits": 1, "counted": 1, "share": 1.0}
    assert figures["segments"]["vip"]["reordered_90d"]["counted"] == 0  # its 90 days have not passed


def test_since_leaves_out_older_tickets(workdir: Path, runner: CliRunner) -> None:
    code, out, _ = report(runner, "--json", "--since", "2026-11-01")
    assert code == 0
    assert list(json.loads(out)["segments"]) == ["standard"]


def test_a_period_without_tickets_says_so_and_succeeds(workdir: Path, runner: CliRunner) -> None:
    code, out, _ = report(runner, "--since", "2026-11-19")
    assert code == 0
    assert "No tickets received from 2026-11-19, up to now." in out


def test_html_writes_a_self_contained_page_with_png_charts(workdir: Path, runner: CliRunner) -> None:
    code, _, err = report(runner, "--html", "report.html")
    assert code == 0
    assert "report written: report.html" in err
    page = (workdir / "report.html").read_text(encoding="utf-8")
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 5
    assert all(base64.b64decode(image).startswith(PNG_SIGNATURE) for image in images)
    assert "<link" not in page
    assert "<script" not in page


def test_a_bad_since_date_is_a_usage_error_naming_the_option(workdir: Path, runner: CliRunner) -> None:
    code, _, err = report(runner, "--since", "last tuesday")
    assert code == 2
    assert "--since: 'last tuesday' is not an ISO 8601 date-time" in err


def test_a_period_ending_before_it_begins_is_a_usage_error(workdir: Path, runner: CliRunner) -> None:
    code, _, err = report(runner, "--since", "2026-11-10", "--until", "2026-11-01")
    assert code == 2
    assert "must be before --until" in err


def test_an_unwritable_html_file_is_an_input_error(workdir: Path, runner: CliRunner) -> None:
    code, _, err = report(runner, "--html", str(workdir / "missing" / "report.html"))
    assert code == 2
    assert "cannot write the report" in err
