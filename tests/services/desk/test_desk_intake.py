"""Intake on the real store: a new ticket in its queue, an append on the customer's next message, an
idempotent retry, and a ticket that needs a senior (or a manager) from the start."""

from __future__ import annotations

from datetime import timedelta, timezone

from desk_builders import DANA, LENA, NOW, DamagedReader, Desk

from rapport.domain.decision import EscalationLevel
from rapport.domain.desk import TicketStatus
from rapport.drafting.template_drafter import TemplateDrafter
from rapport.services.desk.intake import IntakeOutcome, IntakeResult, TicketIntake, take_in
from rapport.services.desk.lifecycle import claim, reply, show


def test_a_new_message_becomes_an_open_ticket_in_its_queue_with_decision_draft_and_event(desk: Desk) -> None:
    result = desk.post()
    view = result.view
    assert result.outcome is IntakeOutcome.CREATED
    assert view.ticket.status is TicketStatus.OPEN
    assert view.ticket.queue == "standard"
    assert view.ticket.subject == "Chipped"
    assert view.ticket.customer_name == "Lena"
    assert view.decision is not None
    assert view.ticket.first_response_due == view.decision.first_response_due
    assert view.ticket.priority == view.decision.priority
    assert [m.author for m in view.messages] == ["customer"]
    assert view.draft is not None
    assert view.draft.body.strip()
    assert view.draft.guardrails is not None
    assert view.draft.guardrails["passed"] is True
    assert [(e.kind, e.from_status, e.to_status, e.actor_label) for e in view.events] == [
        ("created", None, TicketStatus.OPEN, "key rk_test")
    ]


def test_a_vip_goes_to_the_priority_queue(desk: Desk) -> None:
    view = desk.post(email=DANA).view
    assert view.ticket.queue == "priority"
    assert view.ticket.segment == "vip"


def test_the_same_idempotency_key_returns_the_same_ticket_unchanged(desk: Desk) -> None:
    first = desk.post(idempotency_key="hd-123")
    again = desk.post(idempotency_key="hd-123", body="something else entirely", at=timedelta(minutes=5))
    assert again.outcome is IntakeOutcome.RETRIED
    assert again.view.ticket.id == first.view.ticket.id
    assert [m.body for m in again.view.messages] == [m.body for m in first.view.messages]
    assert len(again.view.events) == 1


def test_the_customers_second_message_is_appended_to_their_unresolved_ticket(desk: Desk) -> None:
    first = desk.post()
    second = desk.post(body="Any news? It is still chipped.", at=timedelta(hours=1))
    assert second.outcome is IntakeOutcome.APPENDED
    assert second.view.ticket.id == first.view.ticket.id
    assert [m.body for m in second.view.messages] == [
        "My bowl set arrived chipped.",
        "Any news? It is still chipped.",
    ]
    assert [e.kind for e in second.view.events] == ["created", "customer_wrote"]


def test_a_retried_append_is_appended_once(desk: Desk) -> None:
    desk.post()
    desk.post(body="Any news?", idempotency_key="mail-2", at=timedelta(hours=1))
    again = desk.post(body="Any news?", idempotency_key="mail-2", at=timedelta(hours=1))
    assert again.outcome is IntakeOutcome.RETRIED
    assert [m.body for m in again.view.messages].count("Any news?") == 1


def test_an_answer_to_a_waiting_ticket_brings_it_back_to_its_agent_and_resumes_the_clock(desk: Desk) -> None:
    ticket_id = desk.post().view.ticket.id
    claim(desk.uow_factory, tenant=desk.tenant, actor=desk.agent, ticket_id=ticket_id, now=NOW)
    reply(
        desk.uow_factory,
        tenant=desk.tenant,
        actor=desk.agent,
        ticket_id=ticket_id,
        body="Could you send a photo?",
        draft_source="edited",
        ask_customer=True,
        now=NOW + timedelta(minutes=10),
    )
    waiting = show(desk.uow_factory, tenant=desk.tenant, ticket_id=ticket_id, now=NOW + timedelta(minutes=20))
    assert waiting.ticket.status is TicketStatus.WAITING_ON_CUSTOMER
    assert waiting.sla.paused
    back = desk.post(body="Here it is.", at=timedelta(minutes=40)).view
    assert back.ticket.status is TicketStatus.CLAIMED
    assert back.ticket.assignee_id == desk.agent.user_id
    assert not back.sla.paused
    assert back.ticket.sla_paused_seconds == 30 * 60
    last = back.events[-1]
    assert (last.kind, last.from_status, last.to_status) == (
        "customer_wrote",
        TicketStatus.WAITING_ON_CUSTOMER,
        TicketStatus.CLAIMED,
    )


def test_a_resolved_ticket_is_not_appended_to(desk: Desk) -> None:
    from rapport.services.desk.lifecycle import resolve

    first = desk.post().view.ticket.id
    claim(desk.uow_factory, tenant=desk.tenant, actor=desk.agent, ticket_id=first, now=NOW)
    resolve(desk.uow_factory, tenant=desk.tenant, actor=desk.agent, ticket_id=first, now=NOW)
    second = desk.post(body="A new problem: the lid is missing.", at=timedelta(days=2))
    assert second.outcome is IntakeOutcome.CREATED
    assert second.view.ticket.id != first


def test_a_legal_threat_starts_escalated_in_the_manager_queue(desk: Desk) -> None:
    view = desk.post(body="The bowl arrived chipped. My lawyer will hear about this.").view
    assert view.ticket.status is TicketStatus.ESCALATED
    assert view.ticket.queue == "manager"
    assert view.ticket.claim_level is EscalationLevel.MANAGER
    assert view.events[0].detail is not None
    assert view.events[0].detail["level"] == "manager"


def test_a_vip_without_signals_starts_in_its_queue_at_agent_level(desk: Desk) -> None:
    # The priority queue escalates to seniors, but only when someone escalates the ticket.
    view = desk.post(email=DANA).view
    assert view.ticket.status is TicketStatus.OPEN
    assert view.ticket.escalation_level is EscalationLevel.SENIOR
    assert view.ticket.claim_level is EscalationLevel.AGENT


def test_tickets_of_two_customers_are_two_tickets(desk: Desk) -> None:
    a = desk.post(email=LENA).view.ticket.id
    b = desk.post(email="sam.ortiz@example.com").view.ticket.id
    assert a != b


# -- the answer is built from what was written, not read back: it must equal what reading it gives ---------


def assert_answer_is_the_stored_ticket(desk: Desk, result: IntakeResult) -> None:
    stored = show(desk.uow_factory, tenant=desk.tenant, ticket_id=result.view.ticket.id, now=NOW)
    assert result.view == stored


def test_a_new_guest_tickets_answer_equals_the_ticket_read_back(desk: Desk) -> None:
    assert_answer_is_the_stored_ticket(desk, desk.post())


def test_a_known_customers_ticket_about_their_order_answers_with_the_order_as_stored(desk: Desk) -> None:
    with desk.uow_factory() as uow:
        (order,) = uow.profiles.get_profile(
            merchant_id=desk.tenant.merchant.id, email=DANA, now=NOW
        ).recent_orders
    result = desk.post(email=DANA, order=order.name)
    assert result.view.ticket.order_name == order.name
    assert result.view.ticket.customer_id is not None
    assert_answer_is_the_stored_ticket(desk, result)


def test_an_escalated_tickets_answer_equals_the_ticket_read_back(desk: Desk) -> None:
    result = desk.post(
        body="The bowl arrived chipped. My lawyer will hear about this.", idempotency_key="k-9"
    )
    assert result.view.ticket.status is TicketStatus.ESCALATED
    assert_answer_is_the_stored_ticket(desk, result)


def test_a_message_sent_with_another_utc_offset_answers_in_utc_as_stored(desk: Desk) -> None:
    paris = NOW.astimezone(timezone(timedelta(hours=1)))
    result = take_in(
        desk.uow_factory,
        tenant=desk.tenant,
        actor=desk.machine,
        classifier=DamagedReader(),
        drafter=TemplateDrafter(),
        intake=TicketIntake(email=LENA, body="It arrived chipped.", now=paris),
    )
    assert result.view.ticket.received_at.utcoffset() == timedelta(0)
    assert_answer_is_the_stored_ticket(desk, result)
