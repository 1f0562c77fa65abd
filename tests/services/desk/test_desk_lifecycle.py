"""The ticket lifecycle on the real store: every transition, who may make it, and what is refused."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from desk_builders import DANA, NOW, Desk, make_desk

from rapport.domain.decision import EscalationLevel, OfferKind
from rapport.domain.desk import Actor, TicketStatus
from rapport.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from rapport.services.desk.lifecycle import (
    Resolution,
    TicketView,
    claim,
    claim_next,
    escalate,
    reopen,
    reply,
    resolve,
    show,
)

LATER = NOW + timedelta(minutes=30)


def claimed_by(desk: Desk, actor: Actor, **post: str) -> TicketView:
    ticket_id = desk.post(**post).view.ticket.id
    return claim(desk.uow_factory, tenant=desk.tenant, actor=actor, ticket_id=ticket_id, now=NOW)


def send(desk: Desk, actor: Actor, ticket_id: int, **fields: object) -> TicketView:
    args: dict[str, object] = {
        "body": "Sorry about the bowl: a new set ships today.",
        "draft_source": "template",
    }
    args.update(fields)
    return reply(
        desk.uow_factory,
        tenant=desk.tenant,
        actor=actor,
        ticket_id=ticket_id,
        now=LATER,
        **args,  # type: ignore[arg-type]
    ).view


def test_claim_hands_the_open_ticket_to_the_agent_and_records_who(desk: Desk) -> None:
    view = claimed_by(desk, desk.agent)
    assert view.ticket.status is TicketStatus.CLAIMED
    assert view.ticket.assignee_id == desk.agent.user_id
    assert view.ticket.assignee_label == desk.agent.label
    assert view.ticket.claimed_at == NOW
    event = view.events[-1]
    assert (event.kind, event.from_status, event.to_status, event.actor_user_id) == (
        "claimed",
        TicketStatus.OPEN,
        TicketStatus.CLAIMED,
        desk.agent.user_id,
    )


def test_a_claimed_ticket_cannot_be_claimed_again(desk: Desk) -> None:
    view = claimed_by(desk, desk.agent)
    with pytest.raises(Conflict):
        claim(desk.uow_factory, tenant=desk.tenant, actor=desk.other_agent, ticket_id=view.ticket.id, now=NOW)


def test_a_machine_key_cannot_claim(desk: Desk) -> None:
    ticket_id = desk.post().view.ticket.id
    with pytest.raises(Forbidden):
        claim(desk.uow_factory, tenant=desk.tenant, actor=desk.machine, ticket_id=ticket_id, now=NOW)
    with pytest.raises(Forbidden):
        claim_next(desk.uow_factory, tenant=desk.tenant, actor=desk.machine, queue="standard", now=NOW)


def test_claim_next_hands_out_the_highest_priority_then_the_earliest_due(desk: Desk) -> None:
    plain = desk.post(email="a@example.com").view.ticket
    urgent = desk.post(
        email="b@example.com", body="Chipped bowl! I am furious, this is unacceptable."
    ).view.ticket
    later = desk.post(email="c@example.com", at=timedelta(minutes=1)).view.ticket
    assert urgent.priority > plain.priority == later.priority
    order = [
        claim_next(
            desk.uow_factory, tenant=desk.tenant, actor=desk.agent, queue="standard", now=NOW
        ).ticket.id
        for _ in range(3)
    ]
    assert order == [urgent.id, plain.id, later.id]
    with pytest.raises(Conflict):
        claim_next(desk.uow_factory, tenant=desk.tenant, actor=desk.agent, queue="standard", now=NOW)


def test_claim_next_of_an_unknown_queue_is_not_found(desk: Desk) -> None:
    with pytest.raises(NotFound):
        claim_next(desk.uow_factory, tenant=desk.tenant, actor=desk.agent, queue="nope", now=NOW)


def test_the_first_reply_stops_the_first_response_clock(desk: Desk) -> None:
    view = claimed_by(desk, desk.agent)
    replied = send(desk, desk.agent, view.ticket.id)
    assert replied.ticket.status is TicketStatus.CLAIMED
    assert replied.ticket.first_responded_at == LATER
    assert replied.sla.time_left is None
    assert not replied.sla.breached
    assert [m.author for m in replied.messages] == ["customer", "agent"]
    assert replied.messages[-1].draft_source == "template"
    assert replied.events[-1].kind == "replied"


def test_a_second_reply_keeps_the_first_response_time(desk: Desk) -> None:
    view = claimed_by(desk, desk.agent)
    send(desk, desk.agent, view.ticket.id)
    again = reply(
        desk.uow_factory,
        tenant=desk.tenant,
        actor=desk.agent,
        ticket_id=view.ticket.id,
        body="One more thing.",
        draft_source="manual",
        now=LATER + timedelta(hours=1),
    ).view
    assert again.ticket.first_responded_at == LATER


def test_asking_the_customer_waits_on_them_and_pauses_the_clock(desk: Desk) -> None:
    view = claimed_by(desk, desk.agent)
    waiting = send(desk, desk.agent, view.ticket.id, ask_customer=True)
    assert waiting.ticket.status is TicketStatus.WAITING_ON_CUSTOMER
    assert waiting.ticket.sla_paused_since == LATER


def test_the_clock_does_not_pause_when_the_policy_says_not_to(uow_factory: object) -> None:
    from rapport.policy import default_policy

    policy = default_policy()
    policy = policy.model_copy(
        update={"desk": policy.desk.model_copy(update={"pause_sla_while_waiting": False})}
    )
    desk = make_desk(uow_factory, policy=policy)  # type: ignore[arg-type]
    view = claimed_by(desk, desk.agent)
    waiting = send(desk, desk.agent, view.ticket.id, ask_customer=True)
    assert waiting.ticket.status is TicketStatus.WAITING_ON_CUSTOMER
    assert waiting.ticket.sla_paused_since is None


def test_only_the_assignee_or_an_admin_replies(desk: Desk) -> None:
    view = claimed_by(desk, desk.agent)
    with pytest.raises(Forbidden):
        send(desk, desk.other_agent, view.ticket.id)
    assert send(desk, desk.admin, view.ticket.id).messages[-1].user_id == desk.admin.user_id


def test_a_reply_to_an_unclaimed_ticket_is_a_conflict(desk: Desk) -> None:
    ticket_id = desk.post().view.ticket.id
    with pytest.raises(Conflict):
        send(desk, desk.agent, ticket_id)


def test_an_empty_reply_or_an_unknown_draft_source_is_refused(desk: Desk) -> None:
    view = claimed_by(desk, desk.agent)
    with pytest.raises(InvalidInput):
        send(desk, desk.agent, view.ticket.id, body="   ")
    with pytest.raises(InvalidInput):
        send(desk, desk.agent, view.ticket.id, draft_source="magic")


def test_a_retried_reply_is_sent_once(desk: Desk) -> None:
    view = claimed_by(desk, desk.agent)
    send(desk, desk.agent, view.ticket.id, idempotency_key="r-1")
    result = reply(
        desk.uow_factory,
        tenant=desk.tenant,
        actor=desk.agent,
        ticket_id=view.ticket.id,
        body="Sorry about the bowl: a new set ships today.",
        draft_source="template",
        idempotency_key="r-1",
        now=LATER,
    )
    assert result.replayed
    assert [m.author for m in result.view.messages] == ["customer", "agent"]


def test_resolve_then_reopen(desk: Desk) -> None:
    view = claimed_by(desk, desk.agent)
    resolved = resolve(
        desk.uow_factory, tenant=desk.tenant, actor=desk.agent, ticket_id=view.ticket.id, now=LATER
    )
    assert resolved.ticket.status is TicketStatus.RESOLVED
    assert resolved.ticket.resolved_at == LATER
    reopened = reopen(
        desk.uow_factory,
        tenant=desk.tenant,
        actor=desk.agent,
        ticket_id=view.ticket.id,
        now=LATER,
        note="not fixed",
    )
    assert reopened.ticket.status is TicketStatus.OPEN
    assert reopened.ticket.assignee_id is None
    assert reopened.ticket.resolved_at is None
    assert [(e.kind, e.to_status) for e in reopened.events][-2:] == [
        ("resolved", TicketStatus.RESOLVED),
        ("reopened", TicketStatus.OPEN),
    ]
    assert reopened.events[-1].detail == {"note": "not fixed"}


def test_resolving_a_waiting_ticket_closes_its_pause(desk: Desk) -> None:
    view = claimed_by(desk, desk.agent)
    send(desk, desk.agent, view.ticket.id, ask_customer=True)
    resolved = resolve(
        desk.uow_factory,
        tenant=desk.tenant,
        actor=desk.agent,
        ticket_id=view.ticket.id,
        now=LATER + timedelta(hours=2),
    )
    assert resolved.ticket.sla_paused_since is None
    assert resolved.ticket.sla_paused_seconds == 2 * 3600


@pytest.mark.parametrize("action", ["resolve", "reopen"])
def test_transitions_from_the_wrong_state_are_conflicts(desk: Desk, action: str) -> None:
    ticket_id = desk.post().view.ticket.id  # open: neither resolvable (not claimed) nor reopenable
    act = {"resolve": resolve, "reopen": reopen}[action]
    with pytest.raises(Conflict):
        act(desk.uow_factory, tenant=desk.tenant, actor=desk.agent, ticket_id=ticket_id, now=NOW)


def test_a_resolved_ticket_cannot_be_resolved_escalated_or_claimed(desk: Desk) -> None:
    view = claimed_by(desk, desk.agent)
    ticket_id = view.ticket.id
    resolve(desk.uow_factory, tenant=desk.tenant, actor=desk.agent, ticket_id=ticket_id, now=LATER)
    with pytest.raises(Conflict):
        resolve(desk.uow_factory, tenant=desk.tenant, actor=desk.agent, ticket_id=ticket_id, now=LATER)
    with pytest.raises(Conflict):
        escalate(
            desk.uow_factory, tenant=desk.tenant, actor=desk.agent, ticket_id=ticket_id, reason="x", now=LATER
        )
    with pytest.raises(Conflict):
        claim(desk.uow_factory, tenant=desk.tenant, actor=desk.agent, ticket_id=ticket_id, now=LATER)
    assert show(desk.uow_factory, tenant=desk.tenant, ticket_id=ticket_id, now=LATER).ticket.status is (
        TicketStatus.RESOLVED
    )


def test_escalating_a_vip_ticket_moves_it_to_the_senior_queue_unassigned(desk: Desk) -> None:
    view = claimed_by(desk, desk.agent, email=DANA)
    escalated = escalate(
        desk.uow_factory,
        tenant=desk.tenant,
        actor=desk.agent,
        ticket_id=view.ticket.id,
        reason="wants more",
        now=LATER,
    )
    ticket = escalated.ticket
    assert (ticket.status, ticket.queue, ticket.claim_level, ticket.assignee_id) == (
        TicketStatus.ESCALATED,
        "senior",
        EscalationLevel.SENIOR,
        None,
    )
    event = escalated.events[-1]
    assert event.kind == "escalated"
    assert event.detail == {"reason": "wants more", "from_queue": "priority", "level": "senior"}


def test_an_agent_may_not_claim_a_senior_ticket_a_senior_may(desk: Desk) -> None:
    view = claimed_by(desk, desk.agent, email=DANA)
    escalate(
        desk.uow_factory,
        tenant=desk.tenant,
        actor=desk.agent,
        ticket_id=view.ticket.id,
        reason="vip",
        now=LATER,
    )
    with pytest.raises(Forbidden):
        claim(
            desk.uow_factory, tenant=desk.tenant, actor=desk.other_agent, ticket_id=view.ticket.id, now=LATER
        )
    with pytest.raises(Conflict):  # the senior queue has nothing an agent may claim
        claim_next(desk.uow_factory, tenant=desk.tenant, actor=desk.other_agent, queue="senior", now=LATER)
    taken = claim_next(desk.uow_factory, tenant=desk.tenant, actor=desk.senior, queue="senior", now=LATER)
    assert taken.ticket.id == view.ticket.id
    assert taken.events[-1].from_status is TicketStatus.ESCALATED


def test_a_standard_ticket_escalates_one_level_up_then_to_the_manager_then_no_further(desk: Desk) -> None:
    view = claimed_by(desk, desk.agent)
    first = escalate(
        desk.uow_factory, tenant=desk.tenant, actor=desk.agent, ticket_id=view.ticket.id, reason="a", now=NOW
    )
    assert first.ticket.claim_level is EscalationLevel.SENIOR
    claim(desk.uow_factory, tenant=desk.tenant, actor=desk.senior, ticket_id=view.ticket.id, now=NOW)
    second = escalate(
        desk.uow_factory, tenant=desk.tenant, actor=desk.senior, ticket_id=view.ticket.id, reason="b", now=NOW
    )
    assert (second.ticket.queue, second.ticket.claim_level) == ("manager", EscalationLevel.MANAGER)
    with pytest.raises(Forbidden):
        claim(desk.uow_factory, tenant=desk.tenant, actor=desk.senior, ticket_id=view.ticket.id, now=NOW)
    claim(desk.uow_factory, tenant=desk.tenant, actor=desk.admin, ticket_id=view.ticket.id, now=NOW)
    with pytest.raises(Conflict):
        escalate(
            desk.uow_factory,
            tenant=desk.tenant,
            actor=desk.admin,
            ticket_id=view.ticket.id,
            reason="c",
            now=NOW,
        )


def test_escalation_needs_a_reason_and_the_assignee_when_claimed(desk: Desk) -> None:
    view = claimed_by(desk, desk.agent)
    with pytest.raises(InvalidInput):
        escalate(
            desk.uow_factory,
            tenant=desk.tenant,
            actor=desk.agent,
            ticket_id=view.ticket.id,
            reason=" ",
            now=NOW,
        )
    with pytest.raises(Forbidden):
        escalate(
            desk.uow_factory,
            tenant=desk.tenant,
            actor=desk.other_agent,
            ticket_id=view.ticket.id,
            reason="x",
            now=NOW,
        )


def test_escalating_a_waiting_ticket_resumes_its_clock(desk: Desk) -> None:
    view = claimed_by(desk, desk.agent)
    send(desk, desk.agent, view.ticket.id, ask_customer=True)
    escalated = escalate(
        desk.uow_factory,
        tenant=desk.tenant,
        actor=desk.agent,
        ticket_id=view.ticket.id,
        reason="needs a senior",
        now=LATER + timedelta(minutes=10),
    )
    assert escalated.ticket.sla_paused_since is None
    assert escalated.ticket.sla_paused_seconds == 600


def test_another_merchants_ticket_is_not_found(desk: Desk, uow_factory: object) -> None:
    ticket_id = desk.post().view.ticket.id
    globex = make_desk(uow_factory, slug="globex")  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        show(globex.uow_factory, tenant=globex.tenant, ticket_id=ticket_id, now=NOW)
    with pytest.raises(NotFound):
        claim(globex.uow_factory, tenant=globex.tenant, actor=globex.agent, ticket_id=ticket_id, now=NOW)
    with pytest.raises(NotFound):
        resolve(globex.uow_factory, tenant=globex.tenant, actor=globex.admin, ticket_id=ticket_id, now=NOW)


def test_a_reply_with_a_resolution_grants_it_in_the_same_transaction(desk: Desk) -> None:
    view = claimed_by(desk, desk.agent, email=DANA)
    result = reply(
        desk.uow_factory,
        tenant=desk.tenant,
        actor=desk.agent,
        ticket_id=view.ticket.id,
        body="We refunded $50 for the chipped bowl.",
        draft_source="edited",
        resolution=Resolution(offer=OfferKind.PARTIAL_REFUND, amount=Decimal("50.00")),
        idempotency_key="grant-1",
        now=LATER,
    )
    assert result.grant is not None
    assert (result.grant.offer, result.grant.amount, result.grant.ticket_id) == (
        OfferKind.PARTIAL_REFUND,
        Decimal("50.00"),
        view.ticket.id,
    )
    assert result.view.events[-1].detail is not None
    assert result.view.events[-1].detail["grant_id"] == result.grant.id
    with desk.uow_factory() as uow:
        ledger = uow.grants.for_email(merchant_id=desk.tenant.merchant.id, email=DANA)
    assert [g.id for g in ledger] == [result.grant.id]


def test_a_refused_grant_sends_no_reply(desk: Desk) -> None:
    view = claimed_by(desk, desk.agent, email=DANA)
    with pytest.raises(Forbidden):
        reply(
            desk.uow_factory,
            tenant=desk.tenant,
            actor=desk.agent,
            ticket_id=view.ticket.id,
            body="We refunded everything twice over.",
            draft_source="edited",
            resolution=Resolution(offer=OfferKind.STORE_CREDIT, amount=Decimal("5000.00")),
            now=LATER,
        )
    after = show(desk.uow_factory, tenant=desk.tenant, ticket_id=view.ticket.id, now=LATER)
    assert [m.author for m in after.messages] == ["customer"]
    assert after.ticket.first_responded_at is None
    assert after.events[-1].kind == "claimed"
    with desk.uow_factory() as uow:
        assert uow.grants.for_email(merchant_id=desk.tenant.merchant.id, email=DANA) == []


def test_a_reply_stating_more_than_its_grant_is_refused_and_grants_nothing(desk: Desk) -> None:
    view = claimed_by(desk, desk.agent, email=DANA)
    with pytest.raises(InvalidInput, match=r"promises what is not granted.*\$20"):
        reply(
            desk.uow_factory,
            tenant=desk.tenant,
            actor=desk.agent,
            ticket_id=view.ticket.id,
            body="We have added $20.00 of store credit to your account.",
            draft_source="edited",
            resolution=Resolution(offer=OfferKind.STORE_CREDIT, amount=Decimal("15.00")),
            now=LATER,
        )
    after = show(desk.uow_factory, tenant=desk.tenant, ticket_id=view.ticket.id, now=LATER)
    assert [m.author for m in after.messages] == ["customer"]
    with desk.uow_factory() as uow:
        assert uow.grants.for_email(merchant_id=desk.tenant.merchant.id, email=DANA) == []


def test_a_reply_promising_a_refund_without_granting_one_is_refused(desk: Desk) -> None:
    view = claimed_by(desk, desk.agent, email=DANA)
    with pytest.raises(InvalidInput, match="unauthorized|promises"):
        send(desk, desk.agent, view.ticket.id, body="No worries, we will refund your order in full.")
    after = show(desk.uow_factory, tenant=desk.tenant, ticket_id=view.ticket.id, now=LATER)
    assert after.ticket.first_responded_at is None


def test_a_reply_in_the_persons_own_words_that_promises_nothing_is_sent(desk: Desk) -> None:
    view = claimed_by(desk, desk.agent, email=DANA)
    after = send(
        desk, desk.agent, view.ticket.id, body="So sorry, Dana! Could you send a photo of the chipped bowl?"
    )
    assert [m.author for m in after.messages] == ["customer", "agent"]
