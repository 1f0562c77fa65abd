"""The queue board on the real store: counts per status, the oldest due, breaches, time left, pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from desk_builders import DANA, NOW, Desk

from rapport.domain.desk import TicketStatus
from rapport.domain.errors import InvalidInput, NotFound
from rapport.services.desk.lifecycle import claim, reply
from rapport.services.desk.queues import decode_cursor, encode_cursor, list_queues, queue_tickets


def board(desk: Desk, at: timedelta = timedelta(0)) -> dict[str, object]:
    return {q.name: q for q in list_queues(desk.uow_factory, tenant=desk.tenant, now=NOW + at)}


def test_the_board_lists_the_policys_queues_then_senior_and_manager(desk: Desk) -> None:
    assert list(board(desk)) == ["priority", "standard", "senior", "manager"]


def test_queues_count_their_tickets_per_status_with_the_oldest_due(desk: Desk) -> None:
    first = desk.post(email="a@example.com").view.ticket
    desk.post(email="b@example.com", at=timedelta(minutes=5))
    claim(desk.uow_factory, tenant=desk.tenant, actor=desk.agent, ticket_id=first.id, now=NOW)
    standard = list_queues(desk.uow_factory, tenant=desk.tenant, now=NOW)[1]
    assert standard.name == "standard"
    assert standard.counts[TicketStatus.OPEN] == 1
    assert standard.counts[TicketStatus.CLAIMED] == 1
    assert standard.counts[TicketStatus.RESOLVED] == 0
    assert standard.oldest_due == first.first_response_due
    assert standard.breached == 0


def test_a_ticket_unanswered_past_its_due_time_is_breached_and_an_answered_one_is_not(desk: Desk) -> None:
    late = desk.post(email="a@example.com").view.ticket
    answered = desk.post(email="b@example.com").view.ticket
    claim(desk.uow_factory, tenant=desk.tenant, actor=desk.agent, ticket_id=answered.id, now=NOW)
    reply(
        desk.uow_factory,
        tenant=desk.tenant,
        actor=desk.agent,
        ticket_id=answered.id,
        body="On its way.",
        draft_source="template",
        now=NOW + timedelta(hours=1),
    )
    past_due = late.first_response_due - NOW + timedelta(minutes=1)
    standard = list_queues(desk.uow_factory, tenant=desk.tenant, now=NOW + past_due)[1]
    assert standard.breached == 1
    page = queue_tickets(desk.uow_factory, tenant=desk.tenant, queue="standard", now=NOW + past_due)
    states = {t.ticket.id: t.sla for t in page.tickets}
    assert states[late.id].breached
    assert states[late.id].time_left == timedelta(minutes=-1)
    assert not states[answered.id].breached
    assert states[answered.id].time_left is None


def test_a_page_shows_time_left_and_the_next_page_continues_where_it_stopped(desk: Desk) -> None:
    ids = [desk.post(email=f"g{n}@example.com", at=timedelta(minutes=n)).view.ticket.id for n in range(5)]
    first = queue_tickets(desk.uow_factory, tenant=desk.tenant, queue="standard", now=NOW, limit=3)
    assert [t.ticket.id for t in first.tickets] == ids[:3]
    assert first.tickets[0].sla.time_left == first.tickets[0].ticket.first_response_due - NOW
    assert first.next_cursor is not None
    rest = queue_tickets(
        desk.uow_factory, tenant=desk.tenant, queue="standard", now=NOW, limit=3, cursor=first.next_cursor
    )
    assert [t.ticket.id for t in rest.tickets] == ids[3:]
    assert rest.next_cursor is None


def test_resolved_tickets_are_not_listed(desk: Desk) -> None:
    from rapport.services.desk.lifecycle import resolve

    ticket_id = desk.post(email=DANA).view.ticket.id
    claim(desk.uow_factory, tenant=desk.tenant, actor=desk.agent, ticket_id=ticket_id, now=NOW)
    resolve(desk.uow_factory, tenant=desk.tenant, actor=desk.agent, ticket_id=ticket_id, now=NOW)
    assert queue_tickets(desk.uow_factory, tenant=desk.tenant, queue="priority", now=NOW).tickets == []


def test_an_unknown_queue_a_bad_limit_or_a_foreign_cursor_is_refused(desk: Desk) -> None:
    with pytest.raises(NotFound):
        queue_tickets(desk.uow_factory, tenant=desk.tenant, queue="nope", now=NOW)
    with pytest.raises(InvalidInput):
        queue_tickets(desk.uow_factory, tenant=desk.tenant, queue="standard", now=NOW, limit=101)
    with pytest.raises(InvalidInput):
        queue_tickets(desk.uow_factory, tenant=desk.tenant, queue="standard", now=NOW, cursor="abc")


def test_a_cursor_reads_back_what_was_written() -> None:
    position = (-5, NOW + timedelta(microseconds=7), 123)
    assert decode_cursor(encode_cursor(position)) == position
