"""The demo store holds the desk's past weeks: tickets resolved through the desk's services, with their
grants in the ledger, the follow-ups their resolution scheduled, CSAT answers and later orders; and the
demo ends with the commands that send those follow-ups, report on the outcomes and simulate a policy."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rapport.bootstrap import Rapport, follow_up_units
from rapport.cli.main import app as cli
from rapport.demo.history import DEMO_POLICY, RESERVED, History, customers_of
from rapport.demo.showcase import DEMO_NOW, SHOWCASE_ARRIVED, Showcase, demo_app, run_showcase
from rapport.demo.synthetic import SHOWCASE, StoreGenerator
from rapport.domain.decision import OfferKind
from rapport.domain.follow_ups import FollowUpEntry, FollowUpStatus
from rapport.engine.outcomes import SlaOutcome
from rapport.services.desk.grants import grants_for
from rapport.services.follow_ups.admin import list_follow_ups
from rapport.services.reports import Report, outcome_report

CUSTOMERS = 200
LATER = DEMO_NOW + timedelta(days=120)  # every reorder window of the history has ended
HISTORY_ENDS = SHOWCASE_ARRIVED  # the showcase's tickets came in after every ticket of the history

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(demo_showcase: Showcase) -> tuple[Rapport, History]:
    assert demo_showcase.customers == CUSTOMERS + len(SHOWCASE)
    return demo_app(demo_showcase.database), demo_showcase.history


def _report(app: Rapport, *, until: datetime | None = None) -> Report:
    return outcome_report(
        app.uow_factory, merchant_id=app.merchant.id, policy=app.policy, now=LATER, until=until
    )


def _follow_ups(app: Rapport, history: History) -> list[FollowUpEntry]:
    """The follow-ups of the history's tickets (the showcase's resolved tickets have theirs too)."""
    entries = list_follow_ups(follow_up_units(app), merchant_id=app.merchant.id, limit=10_000)
    return [e for e in entries if e.ticket_id in history.segments]


def test_the_history_resolves_tickets_of_several_segments_in_both_queues(
    demo: tuple[Rapport, History],
) -> None:
    _, history = demo
    assert history.resolved >= 20
    assert len({segment for segment, _ in history.tickets}) >= 4
    assert {queue for _, queue in history.tickets} == {"priority", "standard"}


def test_every_history_ticket_was_answered_and_resolved_some_after_their_target(
    demo: tuple[Rapport, History],
) -> None:
    app, history = demo
    total = _report(app, until=HISTORY_ENDS).figures.total
    assert (total.tickets, total.responded, total.resolved) == (history.resolved,) * 3
    assert total.sla[SlaOutcome.MISSED] == history.late > 0
    assert total.sla[SlaOutcome.MET] == history.resolved - history.late


def test_the_history_reaches_back_a_few_weeks_before_the_demo_moment(demo: tuple[Rapport, History]) -> None:
    _, history = demo
    assert history.first_at is not None
    assert history.last_at is not None
    assert DEMO_NOW - timedelta(weeks=7) <= history.first_at < history.last_at < DEMO_NOW
    assert history.last_at - history.first_at >= timedelta(weeks=3)


def test_each_resolution_scheduled_the_follow_up_of_its_segment(demo: tuple[Rapport, History]) -> None:
    app, history = demo
    entries = _follow_ups(app, history)
    assert len(entries) == history.resolved == sum(history.follow_ups.values())
    # the demo then sent those due at DEMO_NOW; none was cancelled or failed
    assert {e.status for e in entries} == {FollowUpStatus.SCHEDULED, FollowUpStatus.SENT}
    kinds = {history.segments[e.ticket_id]: e.kind for e in entries}
    assert kinds["vip"] == "personal_check_in"
    assert kinds["subscriber"] == "check_in"
    assert kinds["first_time"] == "satisfaction_survey"


def test_the_grants_are_in_the_ledger_within_the_segments_limits(demo: tuple[Rapport, History]) -> None:
    app, history = demo
    emails = {e.email for e in _follow_ups(app, history)}
    grants = [g for email in emails for g in grants_for(app.uow_factory, app.merchant.id, email)]
    assert len(grants) == history.granted > 0
    for record in grants:
        assert record.ticket_id is not None
        _, limits = app.policy.limits_for(history.segments[record.ticket_id])
        bound = {OfferKind.REFUND: limits.max_refund, OfferKind.STORE_CREDIT: limits.max_credit}
        if record.offer in bound:
            assert record.amount is not None
            assert record.amount <= bound[record.offer]


def test_the_csat_answers_land_on_their_tickets(demo: tuple[Rapport, History]) -> None:
    app, history = demo
    csat = _report(app).figures.total.csat
    assert csat.counted == history.csat_answers > 0
    assert csat.hits == history.csat_score_sum  # the scores the customers clicked, summed


def test_some_customers_ordered_again_after_their_ticket(demo: tuple[Rapport, History]) -> None:
    app, history = demo
    within_30_days = _report(app).figures.total.reorders[30]
    assert history.reorders > 0
    assert within_30_days.hits >= history.reorders


def test_the_history_writes_for_neither_the_showcase_nor_the_desks_customers(
    demo: tuple[Rapport, History], tmp_path: Path
) -> None:
    app, history = demo
    store = tmp_path / "store.jsonl"
    StoreGenerator(seed=7, now=DEMO_NOW).write(store, CUSTOMERS)
    reserved = {f"c-{i}" for i in range(RESERVED)}
    assert not {c.external_id for c in customers_of(store, limit=100)} & reserved
    assert not {e.email for e in _follow_ups(app, history)} & set(SHOWCASE.values())


def test_the_same_seed_writes_the_same_history(demo: tuple[Rapport, History], tmp_path: Path) -> None:
    _, history = demo
    again = run_showcase(
        customers=CUSTOMERS, seed=7, database=tmp_path / "again.db", outbox=tmp_path / "out"
    ).history
    assert again == history


def test_the_demo_ends_with_the_follow_ups_and_commands_that_work_on_its_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    outbox = tmp_path / "mail"
    runner = CliRunner(env={"COLUMNS": "250", "RAPPORT_OUTBOX_DIR": str(outbox)})
    shown = runner.invoke(cli, ["demo", "--customers", str(CUSTOMERS), "--database", "d.db"])
    assert shown.exit_code == 0, shown.output
    scheduled = re.search(r"Follow-ups their resolution scheduled: (\d+)", shown.stdout)
    sent = re.search(r"sent (\d+) follow-ups into (\S+)/", shown.stdout)
    assert scheduled is not None, shown.stdout
    assert sent is not None, shown.stdout
    assert sent.group(2) == str(outbox)
    assert len(list(outbox.glob("*.eml"))) == int(sent.group(1)) > 0
    assert f"into {outbox}/" in shown.stdout
    commands = re.findall(r"^  (rapport (?:worker|report|simulate) [^#\n]*?)\s*(?:#.*)?$", shown.stdout, re.M)
    assert [c.split()[1] for c in commands] == ["worker", "report", "simulate"]
    env = {"RAPPORT_DATABASE_URL": "sqlite:///d.db", "RAPPORT_POLICY_PATH": str(DEMO_POLICY)}
    app = demo_app(tmp_path / "d.db")
    pending = list_follow_ups(
        follow_up_units(app), merchant_id=app.merchant.id, status=FollowUpStatus.SCHEDULED, limit=10_000
    )
    due_by_now = [e for e in pending if e.due_at <= datetime.now(UTC)]  # the worker runs on the real clock
    for command in commands:
        result = runner.invoke(cli, command.split()[1:], env=env)
        assert result.exit_code == 0, f"{command}: {result.output}"
    assert len(list(outbox.glob("*.eml"))) == int(sent.group(1)) + len(due_by_now)
    assert "<img" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_the_demo_s_explore_command_runs_as_printed(
    demo_shown_at_80_columns: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    where, stdout = demo_shown_at_80_columns  # `rapport demo --customers 200 --database d.db` in `where`
    monkeypatch.chdir(where)
    printed = re.search(r"^  (RAPPORT_\S+=\S+) (RAPPORT_\S+=\S+) rapport (profile .*)$", stdout, re.M)
    assert printed is not None, stdout
    env = dict(assignment.split("=", 1) for assignment in printed.group(1, 2))
    result = CliRunner(env={"COLUMNS": "80"}).invoke(cli, printed.group(3).split(), env=env)
    assert result.exit_code == 0, result.output
    assert "Maria" in result.output
