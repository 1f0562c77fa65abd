"""A message arrives at the desk: triage it, draft the reply, and store it in one write transaction —
a new ticket in its queue, or the customer's next message on their unresolved ticket, or (a retry with
the same idempotency key) nothing at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from rapport.domain import Decision
from rapport.domain.decision import EscalationLevel
from rapport.domain.desk import ESCALATION_QUEUES, Actor, TicketStatus
from rapport.domain.desk_records import DeskEvent, NewMessage
from rapport.domain.errors import InvalidInput, RecordRefused
from rapport.drafting import Draft, Drafter
from rapport.policy import Policy
from rapport.schemas import StoredDecision
from rapport.services.desk.lifecycle import DRAFT, LEVELS, TicketView, customer_wrote, view_of
from rapport.services.desk.queues import sla_state
from rapport.services.follow_ups.scheduling import cancel_on_customer_message
from rapport.services.ports import UnitOfWork, UnitOfWorkFactory
from rapport.services.tenancy import Tenant
from rapport.services.triage import TriageRequest, TriageResult, know_customer, read_and_decide
from rapport.understanding import IntentClassifier

KEY_LENGTH = 200  # tickets.idempotency_key


@dataclass(frozen=True, slots=True)
class TicketIntake:
    """One inbound message as a help desk or a form sends it; `order` is an optional reference."""

    email: str
    body: str
    now: datetime
    name: str | None = None
    channel: str = "email"
    subject: str | None = None
    order: str | None = None
    idempotency_key: str | None = None


class IntakeOutcome(StrEnum):
    CREATED = "created"  # a new ticket
    APPENDED = "appended"  # the customer's unresolved ticket got the message
    RETRIED = "retried"  # the same idempotency key came before: nothing changed


@dataclass(frozen=True, slots=True)
class IntakeResult:
    outcome: IntakeOutcome
    view: TicketView


def take_in(
    uow_factory: UnitOfWorkFactory,
    *,
    tenant: Tenant,
    actor: Actor,
    classifier: IntentClassifier,
    drafter: Drafter,
    intake: TicketIntake,
) -> IntakeResult:
    """Triage and draft `intake` (reading the store), then store it in one write transaction (or find
    that a message with the same idempotency key was stored before)."""
    key = intake.idempotency_key
    if key is not None and not 0 < len(key) <= KEY_LENGTH:
        raise InvalidInput(f"idempotency_key: 1 to {KEY_LENGTH} characters")
    merchant_id = tenant.merchant.id
    request = TriageRequest(
        email=intake.email,
        message=intake.body,
        now=intake.now,
        order_name=intake.order,
        channel=intake.channel,
    )
    # The customer is known in one read transaction. A retry is found by the write transaction (under
    # the write lock, where it must be checked anyway): a retried message is triaged again for nothing,
    # which is rarer and cheaper than a statement more for every message.
    with uow_factory() as uow:
        known = know_customer(uow, merchant_id=merchant_id, request=request)
        uow.commit()  # a read, ended by COMMIT to keep the prepared statements (ports.UnitOfWork)
    triaged = read_and_decide(known, policy=tenant.policy, classifier=classifier, request=request)
    draft = drafter.draft(triaged.ticket, triaged.profile, triaged.decision, tenant.brand)
    try:
        return _store(uow_factory, tenant, actor, intake, triaged, draft)
    except RecordRefused:
        # A concurrent request with the same key stored its ticket first (the unique key refused ours).
        if key is None:
            raise
        with uow_factory() as uow:
            earlier = uow.desk.find_by_idempotency_key(merchant_id=merchant_id, key=key)
            if earlier is None:
                raise
            return IntakeResult(IntakeOutcome.RETRIED, view_of(uow, merchant_id, earlier, intake.now))


def starting_point(policy: Policy, decision: Decision) -> tuple[TicketStatus, str, EscalationLevel]:
    """Where a new ticket starts: its queue, or — when the message's signals need more than the queue's
    own escalation level (a legal threat, a safety issue) — escalated, in that level's queue."""
    home = next((q for q in policy.queues if q.name == decision.queue), None)
    usual = home.escalate_to if home is not None else EscalationLevel.AGENT
    level = decision.escalation_level
    if level in ESCALATION_QUEUES and LEVELS.index(level) > LEVELS.index(usual):
        return TicketStatus.ESCALATED, ESCALATION_QUEUES[level], level
    return TicketStatus.OPEN, decision.queue, EscalationLevel.AGENT


def _store(
    uow_factory: UnitOfWorkFactory,
    tenant: Tenant,
    actor: Actor,
    intake: TicketIntake,
    triaged: TriageResult,
    draft: Draft,
) -> IntakeResult:
    merchant_id = tenant.merchant.id
    key = intake.idempotency_key
    with uow_factory(write=True) as uow:
        earlier, open_id = uow.desk.retry_and_unresolved(merchant_id=merchant_id, key=key, email=intake.email)
        if earlier is not None:
            return IntakeResult(IntakeOutcome.RETRIED, view_of(uow, merchant_id, earlier, intake.now))
        cancel_on_customer_message(uow, merchant_id=merchant_id, email=intake.email, now=intake.now)
        if open_id is not None:
            outcome = _append(uow, tenant, actor, intake, open_id)
            view = view_of(uow, merchant_id, open_id, intake.now)
        else:
            outcome = IntakeOutcome.CREATED
            view = _create(uow, tenant, actor, intake, triaged, draft)
        uow.commit()
    return IntakeResult(outcome, view)


def _append(
    uow: UnitOfWork, tenant: Tenant, actor: Actor, intake: TicketIntake, ticket_id: int
) -> IntakeOutcome:
    merchant_id = tenant.merchant.id
    if uow.desk.lock(merchant_id=merchant_id, ticket_id=ticket_id) is None:
        raise RecordRefused(f"ticket {ticket_id} vanished")
    ticket = uow.desk.get(merchant_id=merchant_id, ticket_id=ticket_id)
    assert ticket is not None
    key = intake.idempotency_key
    if key is not None:
        earlier = uow.desk.events(merchant_id=merchant_id, ticket_id=ticket_id, kind="customer_wrote")
        if any((e.detail or {}).get("idempotency_key") == key for e in earlier):
            return IntakeOutcome.RETRIED
    detail: dict[str, Any] = {"channel": intake.channel}
    if intake.subject:
        detail["subject"] = intake.subject
    if key is not None:
        detail["idempotency_key"] = key
    customer_wrote(uow, ticket=ticket, actor=actor, body=intake.body, now=intake.now, detail=detail)
    return IntakeOutcome.APPENDED


def _create(
    uow: UnitOfWork, tenant: Tenant, actor: Actor, intake: TicketIntake, triaged: TriageResult, draft: Draft
) -> TicketView:
    """Store the new ticket, its two messages and its `created` event; the view of what was written
    (built from the values and the ids the INSERTs returned, not read back)."""
    merchant_id = tenant.merchant.id
    decision = triaged.decision
    now = intake.now.astimezone(UTC)  # as the store gives it back
    status, queue, claim_level = starting_point(tenant.policy, decision)
    ticket = uow.desk.create(
        merchant_id=merchant_id,
        ticket=triaged.ticket,
        decision=decision,
        profile=triaged.profile,
        subject=intake.subject,
        customer_name=intake.name,
        status=status,
        queue=queue,
        claim_level=claim_level,
        idempotency_key=intake.idempotency_key,
    )
    written = [
        NewMessage(author="customer", body=intake.body, created_at=now),
        NewMessage(
            author=DRAFT,
            body=draft.body_text,
            created_at=now,
            draft_source=draft.drafter,
            guardrails=_draft_facts(draft),
        ),
    ]
    ids = uow.desk.add_messages(merchant_id=merchant_id, ticket_id=ticket.id, messages=written)
    message, kept_draft = (m.stored(i) for m, i in zip(written, ids, strict=True))
    detail: dict[str, Any] = {"queue": queue, "priority": decision.priority, "segment": decision.segment}
    if status is TicketStatus.ESCALATED:
        detail["reason"] = f"the message needs a {claim_level.value} from the start"
        detail["level"] = claim_level.value
    event_id = uow.desk.add_event(
        merchant_id=merchant_id,
        ticket_id=ticket.id,
        kind="created",
        at=now,
        actor=actor,
        from_status=None,
        to_status=status,
        detail=detail,
    )
    created = DeskEvent(
        id=event_id,
        at=now,
        kind="created",
        from_status=None,
        to_status=status,
        actor_user_id=actor.user_id,
        actor_key_id=actor.key_id,
        actor_label=actor.shown_as,
        detail=detail,
    )
    return TicketView(
        ticket=ticket,
        sla=sla_state(ticket, now),
        decision=StoredDecision.read(StoredDecision.from_domain(decision).model_dump(mode="json")),
        draft=kept_draft,
        messages=[message],
        events=[created],
    )


def _draft_facts(draft: Draft) -> dict[str, Any]:
    """What the kept draft needs besides its text: subject, guardrail result, why a fallback happened."""
    report = draft.guardrails
    return {
        "subject": draft.subject,
        "fallback_reason": draft.fallback_reason,
        "passed": None if report is None else report.passed,
        "violations": []
        if report is None
        else [{"code": v.code, "message": v.message} for v in report.violations],
    }
