"""The demo resolves its showcase tickets through the desk's services, so their follow-ups are really
scheduled (what the policy names for each customer's segment); it then sends the follow-ups due at its
clock into the file outbox with the worker's job, and writes the HTML report with charts."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes
from email.utils import parseaddr

import pytest

from rapport.bootstrap import Rapport, follow_up_units
from rapport.demo.showcase import (
    DAMAGED,
    DEMO_NOW,
    SHOWCASE_ARRIVED,
    Showcase,
    at_the_desk,
    demo_app,
)
from rapport.demo.showcase_tickets import ResolvedTicket
from rapport.demo.synthetic import SHOWCASE
from rapport.domain.desk import TicketStatus
from rapport.domain.follow_ups import FollowUpEntry, FollowUpStatus
from rapport.services.follow_ups.admin import list_follow_ups

CUSTOMERS = 200

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(demo_showcase: Showcase) -> tuple[Rapport, Showcase]:
    assert demo_showcase.customers == CUSTOMERS + len(SHOWCASE)  # the store of `rapport demo`'s default size
    return demo_app(demo_showcase.database), demo_showcase


def _bowls(showcase: Showcase, who: str) -> ResolvedTicket:
    return next(
        d for d in showcase.resolved if d.email == SHOWCASE[who] and d.view.messages[0].body == DAMAGED
    )


def _all_follow_ups(app: Rapport) -> list[FollowUpEntry]:
    return list_follow_ups(follow_up_units(app), merchant_id=app.merchant.id, limit=10_000)


def test_every_showcase_ticket_at_the_desk_is_stored_and_resolved_before_the_demo_s_clock(
    demo: tuple[Rapport, Showcase],
) -> None:
    _, showcase = demo
    assert [(d.label, d.email) for d in showcase.resolved] == [
        (label, email) for label, email, _ in at_the_desk()
    ]
    for done in showcase.resolved:
        ticket = done.view.ticket
        assert ticket.status is TicketStatus.RESOLVED
        assert ticket.received_at == SHOWCASE_ARRIVED
        assert ticket.resolved_at is not None
        assert SHOWCASE_ARRIVED < ticket.resolved_at < DEMO_NOW
        assert done.handler is not None


def test_the_stored_tickets_were_decided_as_the_showcase_table_shows(demo: tuple[Rapport, Showcase]) -> None:
    _, showcase = demo
    for label, preview, _ in showcase.same_problem:
        stored = next(d for d in showcase.resolved if d.label == label).view.decision
        assert stored is not None
        shown = preview.decision
        assert (stored.segment, stored.queue, stored.priority) == (shown.segment, shown.queue, shown.priority)
        assert stored.resolution.offer == shown.resolution.offer


def test_each_resolution_scheduled_what_the_policy_names_for_the_segment(
    demo: tuple[Rapport, Showcase],
) -> None:
    app, showcase = demo
    for done in showcase.resolved:
        ticket = done.view.ticket
        assert ticket.resolved_at is not None
        _, rules = app.policy.follow_ups_for(ticket.segment)
        assert [(f.kind, f.sender) for f in done.follow_ups] == [(r.kind, r.sender) for r in rules]
        for follow_up, rule in zip(done.follow_ups, rules, strict=True):
            assert follow_up.entry.ticket_id == ticket.id
            assert follow_up.entry.email == done.email
            # out of the quiet hours, when the policy has some: never earlier, less than a day later
            assert timedelta(0) <= follow_up.due_at - (ticket.resolved_at + rule.after) < timedelta(days=1)


def test_the_vip_gets_a_senior_s_check_in_next_day_the_subscriber_a_check_in_the_first_buyer_a_survey(
    demo: tuple[Rapport, Showcase],
) -> None:
    _, showcase = demo
    vip, subscriber, first = (_bowls(showcase, who) for who in ("vip", "subscriber", "first_time"))
    assert [(f.kind, f.sender) for f in vip.follow_ups] == [("personal_check_in", "senior")]
    assert [f.kind for f in subscriber.follow_ups] == ["check_in"]
    assert [f.kind for f in first.follow_ups] == ["satisfaction_survey"]
    assert first.follow_ups[0].due_at - vip.follow_ups[0].due_at == timedelta(days=6)


def test_the_follow_ups_due_at_the_demo_s_clock_were_sent_and_no_later_one(
    demo: tuple[Rapport, Showcase],
) -> None:
    app, showcase = demo
    entries = _all_follow_ups(app)
    assert {e.status for e in entries} == {FollowUpStatus.SENT, FollowUpStatus.SCHEDULED}
    for entry in entries:
        assert (entry.status is FollowUpStatus.SENT) == (entry.due_at <= DEMO_NOW), entry
    sent = [e for e in entries if e.status is FollowUpStatus.SENT]
    assert showcase.delivery is not None
    assert showcase.delivery.run.sent == len(sent) == len(showcase.delivery.files) > 0
    assert showcase.delivery.still_scheduled == len(entries) - len(sent)


def test_the_showcase_s_follow_ups_wait_for_their_time(demo: tuple[Rapport, Showcase]) -> None:
    app, showcase = demo
    showcase_tickets = {d.view.ticket.id for d in showcase.resolved}
    waiting = [e for e in _all_follow_ups(app) if e.ticket_id in showcase_tickets]
    assert len(waiting) == sum(len(d.follow_ups) for d in showcase.resolved) >= len(showcase.resolved)
    assert all(e.status is FollowUpStatus.SCHEDULED and e.due_at > DEMO_NOW for e in waiting)


def test_each_sent_follow_up_is_an_eml_file_addressed_to_its_customer(demo: tuple[Rapport, Showcase]) -> None:
    app, showcase = demo
    assert showcase.delivery is not None
    sent = [e for e in _all_follow_ups(app) if e.status is FollowUpStatus.SENT]
    for entry, path in zip(sent, showcase.delivery.files, strict=True):
        mail = message_from_bytes(path.read_bytes())
        assert parseaddr(mail["To"])[1] == entry.email
        assert path.parent == showcase.delivery.outbox


def test_the_first_time_buyer_s_second_message_is_not_stored_so_her_survey_stands(
    demo: tuple[Rapport, Showcase],
) -> None:
    app, showcase = demo
    first = _bowls(showcase, "first_time")
    mine = [e for e in _all_follow_ups(app) if e.email == SHOWCASE["first_time"]]
    assert [e.ticket_id for e in mine] == [first.view.ticket.id]
    assert mine[0].status is FollowUpStatus.SCHEDULED


def test_the_html_report_with_charts_is_written_beside_the_demo_store(demo: tuple[Rapport, Showcase]) -> None:
    _, showcase = demo
    assert showcase.report == showcase.database.with_name("demo-report.html")
    page = showcase.report.read_text(encoding="utf-8")
    assert "<img" in page
    assert "2026-11-20 12:00 UTC" in page  # as of the demo's clock
