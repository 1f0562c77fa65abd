"""`rapport demo` prints, per showcase customer, the follow-ups their resolution scheduled, then how many
follow-ups it sent and where, and the path of the report it wrote."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rapport.bootstrap import follow_up_units
from rapport.cli.demo_cmd import span_words
from rapport.cli.main import app as cli
from rapport.demo.showcase import demo_app
from rapport.demo.showcase_tickets import customer_zone
from rapport.demo.synthetic import SHOWCASE
from rapport.domain.follow_ups import FollowUpStatus
from rapport.services.follow_ups.admin import list_follow_ups

CUSTOMERS = 200


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo's output (one line per paragraph: wide columns), run in a directory of its own."""
    where = tmp_path_factory.mktemp("demo")
    runner = CliRunner(env={"COLUMNS": "250", "RAPPORT_OUTBOX_DIR": str(where / "outbox")})
    args = ["demo", "--customers", str(CUSTOMERS), "--database", str(where / "d.db")]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    return where, result.stdout


def _section(stdout: str, start: str, end: str) -> str:
    return stdout[stdout.index(start) : stdout.index(end, stdout.index(start))]


@pytest.mark.slow
def test_each_showcase_customer_s_scheduled_follow_ups_are_printed_under_their_ticket(
    shown: tuple[Path, str],
) -> None:
    where, stdout = shown
    app = demo_app(where / "d.db")
    desk = _section(stdout, "The showcase at the desk", "\nSent ")
    zone = customer_zone(app.policy)
    for who in ("vip", "subscriber", "first_time"):
        email = SHOWCASE[who]
        entries = list_follow_ups(follow_up_units(app), merchant_id=app.merchant.id, limit=10_000)
        mine = [e for e in entries if e.email == email]
        assert mine, who
        block = re.search(rf"^  .*{re.escape(email)}.*\n((?:    .*\n)+)", desk, re.M)
        assert block is not None, desk
        for entry in mine:
            due = f"due {entry.due_at.astimezone(zone):%a %b %d %H:%M %Z}"  # in the customer's zone
            assert f"{entry.kind.replace('_', ' ')} from " in block.group(1)
            assert due in block.group(1), block.group(1)


@pytest.mark.slow
def test_the_vip_s_follow_up_reads_as_a_senior_s_personal_check_in_a_day_after(
    shown: tuple[Path, str],
) -> None:
    _, stdout = shown
    assert "personal check in from a senior, due Sat Nov 21" in stdout
    assert "(1 day after the resolution)" in stdout
    assert "satisfaction survey from an agent, due Fri Nov 27" in stdout


@pytest.mark.slow
def test_the_count_sent_is_the_number_of_eml_files_in_the_outbox_printed(shown: tuple[Path, str]) -> None:
    where, stdout = shown
    sent = re.search(r"sent (\d+) follow-ups into (\S+)/ \(e\.g\. (\S+\.eml)\)", stdout)
    assert sent is not None, stdout
    outbox = Path(sent.group(2))
    assert outbox == where / "outbox"
    assert len(list(outbox.glob("*.eml"))) == int(sent.group(1)) > 0
    assert Path(sent.group(3)).is_file()
    app = demo_app(where / "d.db")
    sent_now = list_follow_ups(
        follow_up_units(app), merchant_id=app.merchant.id, status=FollowUpStatus.SENT, limit=10_000
    )
    assert len(sent_now) == int(sent.group(1))


@pytest.mark.slow
def test_the_report_s_path_is_printed_and_it_has_charts(shown: tuple[Path, str]) -> None:
    where, stdout = shown
    printed = re.search(r"Report with charts, as of .+? UTC: (\S+\.html)", stdout)
    assert printed is not None, stdout
    assert Path(printed.group(1)) == where / "d-report.html"
    assert "<img" in Path(printed.group(1)).read_text(encoding="utf-8")


def test_a_span_of_whole_days_reads_in_days_else_in_days_and_hours() -> None:
    assert span_words(timedelta(days=1)) == "1 day"
    assert span_words(timedelta(days=7)) == "7 days"
    assert span_words(timedelta(days=2, hours=3)) == "2 d 3 h"
    assert span_words(timedelta(hours=5, minutes=30)) == "5 h 30 min"
