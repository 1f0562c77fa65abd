"""A ticket's lifecycle at the desk: show, claim (one ticket or the next of a queue), reply (with a grant),
resolve, escalate, reopen. Each change is one write transaction that checks the state and who may act,
changes the row only if it is still in the state it was read in, and writes a `TicketEvent`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from rapport.domain.decision import EscalationLevel, OfferKind
from rapport.domain.desk import ESCALATION_QUEUES, Actor, Role, TicketStatus, may_act, may_take
from rapport.domain.desk_records import DeskEvent, DeskMessage, DeskTicket
from rapport.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from rapport.drafting.sent_reply import check_sent_reply
from rapport.engine.authority import GrantRecord
from rapport.engine.sla import pause, resume
from rapport.schemas import StoredDecision
from rapport.services.desk.grants import GrantRequest, GrantSubject, grant
from rapport.services.desk.queues import SlaState, clock_of, require_queue, sla_state
from rapport.services.follow_ups.scheduling import cancel_on_reopen, schedule_on_resolution
from rapport.services.ports import UnitOfWork, UnitOfWorkFactory
from rapport.services.tenancy import Tenant

LEVELS = (EscalationLevel.AGENT, EscalationLevel.SENIOR, EscalationLevel.MANAGER)
DRAFT = "draft"  # the author of the drafted reply kept with a ticket
DRAFT_SOURCES = frozenset({"template", "llm", "edited", "manual"})


@dataclass(frozen=True, slots=True)
class TicketView:
    """Everything a screen shows of one ticket."""

    ticket: DeskTicket
    sla: SlaState
    decision: StoredDecision | None
    draft: DeskMessage | None
    messages: list[DeskMessage]
    events: list[DeskEvent]


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a reply grants (possibly changed from the decision's offer by the person sending it)."""

    offer: OfferKind
    amount: Decimal | None = None
    percent: Decimal | None = None
    currency: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ReplyResult:
    view: TicketView
    grant: GrantRecord | None
    replayed: bool  # a retry with the same idempotency key: nothing was sent or granted again


def show(uow_factory: UnitOfWorkFactory, *, tenant: Tenant, ticket_id: int, now: datetime) -> TicketView:
    """The ticket with its clock as of `now`, decision, kept draft, conversation and history."""
    with uow_factory() as uow:
        return view_of(uow, tenant.merchant.id, ticket_id, now)


def claim(
    uow_factory: UnitOfWorkFactory, *, tenant: Tenant, actor: Actor, ticket_id: int, now: datetime
) -> TicketView:
    """Hand this ticket to the calling person (open or escalated, at a level their role may take)."""
    _require_person(actor, "claims tickets")
    with uow_factory(write=True) as uow:
        ticket = _load(uow, tenant, ticket_id)
        _require_state(ticket, "claim")
        if not may_take(actor.role, ticket.claim_level):
            raise Forbidden(
                f"a {actor.role.value} may not take a ticket escalated to {ticket.claim_level.value}"
            )
        _take(uow, ticket, actor, now)
        view = view_of(uow, tenant.merchant.id, ticket_id, now)
        uow.commit()
    return view


def claim_next(
    uow_factory: UnitOfWorkFactory, *, tenant: Tenant, actor: Actor, queue: str, now: datetime
) -> TicketView:
    """Hand the calling person the most urgent ticket of `queue` they may take; two callers never get the
    same one. An empty queue (for this role) is a Conflict."""
    _require_person(actor, "claims tickets")
    require_queue(tenant, queue)
    levels = [level for level in LEVELS if may_take(actor.role, level)]
    merchant_id = tenant.merchant.id
    with uow_factory(write=True) as uow:
        picked = uow.desk.next_claimable(merchant_id=merchant_id, queue=queue, levels=levels)
        if picked is None:
            raise Conflict(f"queue {queue!r} has no ticket left that the role {actor.role.value} may claim")
        ticket = uow.desk.get(merchant_id=merchant_id, ticket_id=picked[0])
        assert ticket is not None  # locked by this transaction
        _take(uow, ticket, actor, now)
        view = view_of(uow, merchant_id, ticket.id, now)
        uow.commit()
    return view


def reply(
    uow_factory: UnitOfWorkFactory,
    *,
    tenant: Tenant,
    actor: Actor,
    ticket_id: int,
    body: str,
    draft_source: str,
    now: datetime,
    ask_customer: bool = False,
    resolution: Resolution | None = None,
    idempotency_key: str | None = None,
) -> ReplyResult:
    """Send the reply (the draft, possibly edited) on a claimed ticket, by its assignee or an admin.

    With `resolution`, the grant is checked and written in the same transaction (a refused grant sends
    nothing). `ask_customer` waits on the customer (the SLA clock pauses if the policy says so). A retry
    with the same `idempotency_key` returns the ticket as it is and sends and grants nothing again."""
    _require_person(actor, "replies")
    if not body.strip():
        raise InvalidInput("body: a reply needs some text")
    if draft_source not in DRAFT_SOURCES:
        raise InvalidInput(f"draft_source: one of {', '.join(sorted(DRAFT_SOURCES))}")
    merchant_id = tenant.merchant.id
    with uow_factory(write=True) as uow:
        ticket = _load(uow, tenant, ticket_id)
        if idempotency_key is not None and _replied_with(uow, ticket, idempotency_key):
            return ReplyResult(view_of(uow, merchant_id, ticket_id, now), grant=None, replayed=True)
        _require_state(ticket, "reply")
        _require_handler(ticket, actor)
        granted = None
        if resolution is not None:
            granted = grant(
                uow,
                tenant=tenant,
                actor=actor,
                subject=_grant_subject(ticket),
                request=GrantRequest(
                    offer=resolution.offer,
                    amount=resolution.amount,
                    percent=resolution.percent,
                    currency=resolution.currency,
                    reason=resolution.reason,
                ),
                idempotency_key=idempotency_key,
                now=now,
            )
        _require_consistent(body, granted)
        uow.desk.add_message(
            merchant_id=merchant_id,
            ticket_id=ticket_id,
            author="agent",
            user_id=actor.user_id,
            body=body,
            now=now,
            draft_source=draft_source,
        )
        values: dict[str, Any] = {}
        if ticket.first_responded_at is None:
            values["first_responded_at"] = now
        target = TicketStatus.WAITING_ON_CUSTOMER if ask_customer else TicketStatus.CLAIMED
        if ask_customer and tenant.policy.desk.pause_sla_while_waiting:
            values["sla_paused_since"] = pause(clock_of(ticket), now).paused_since
        detail: dict[str, Any] = {"ask_customer": ask_customer, "draft_source": draft_source}
        if idempotency_key is not None:
            detail["idempotency_key"] = idempotency_key
        if granted is not None:
            detail["grant_id"] = granted.id
        _move(uow, ticket, "replied", actor, now, target, values, detail)
        view = view_of(uow, merchant_id, ticket_id, now)
        uow.commit()
    return ReplyResult(view, grant=granted, replayed=False)


def _require_consistent(body: str, granted: GrantRecord | None) -> None:
    """The text may not promise more than the grant recorded with it (an edited draft included): a
    reply saying "20.00 USD" over a 15.00 grant, or "a full refund" over none, is refused and, being in
    the same transaction, grants nothing."""
    report = check_sent_reply(
        body,
        offer=granted.offer if granted is not None else OfferKind.NONE,
        amount=granted.amount if granted is not None else None,
        currency=granted.currency if granted is not None else None,
        percent=granted.percent if granted is not None else None,
    )
    if not report.passed:
        problems = "; ".join(v.message for v in report.violations)
        raise InvalidInput(f"body: the reply promises what is not granted with it: {problems}")


def resolve(
    uow_factory: UnitOfWorkFactory,
    *,
    tenant: Tenant,
    actor: Actor,
    ticket_id: int,
    now: datetime,
    note: str | None = None,
) -> TicketView:
    """Close the ticket (claimed or waiting on the customer), by its assignee or an admin."""
    _require_person(actor, "resolves tickets")
    with uow_factory(write=True) as uow:
        ticket = _load(uow, tenant, ticket_id)
        _require_state(ticket, "resolve")
        _require_handler(ticket, actor)
        values = {"resolved_at": now, **_clock_running(ticket, now)}
        _move(uow, ticket, "resolved", actor, now, TicketStatus.RESOLVED, values, _note(note))
        schedule_on_resolution(uow, policy=tenant.policy, ticket=ticket, now=now)
        view = view_of(uow, tenant.merchant.id, ticket_id, now)
        uow.commit()
    return view


def escalate(
    uow_factory: UnitOfWorkFactory,
    *,
    tenant: Tenant,
    actor: Actor,
    ticket_id: int,
    reason: str,
    now: datetime,
) -> TicketView:
    """Move the ticket up: to its queue's `escalate_to` level when that is above its current one, else one
    level above; into that level's queue (`senior`, `manager`), unassigned, for its roles to claim."""
    if not reason.strip():
        raise InvalidInput("reason: say why the ticket is escalated")
    with uow_factory(write=True) as uow:
        ticket = _load(uow, tenant, ticket_id)
        _require_state(ticket, "escalate")
        if ticket.assignee_id is not None and ticket.status is not TicketStatus.OPEN:
            _require_handler(ticket, actor)
        level = escalation_target(tenant, ticket)
        values = {
            "queue": ESCALATION_QUEUES[level],
            "claim_level": level,
            "assignee_id": None,
            "claimed_at": None,
            **_clock_running(ticket, now),
        }
        detail = {"reason": reason.strip(), "from_queue": ticket.queue, "level": level.value}
        _move(uow, ticket, "escalated", actor, now, TicketStatus.ESCALATED, values, detail)
        view = view_of(uow, tenant.merchant.id, ticket_id, now)
        uow.commit()
    return view


def reopen(
    uow_factory: UnitOfWorkFactory,
    *,
    tenant: Tenant,
    actor: Actor,
    ticket_id: int,
    now: datetime,
    note: str | None = None,
) -> TicketView:
    """Open a resolved ticket again, unassigned, in the queue it was resolved in."""
    _require_person(actor, "reopens tickets")
    with uow_factory(write=True) as uow:
        ticket = _load(uow, tenant, ticket_id)
        _require_state(ticket, "reopen")
        values = {"resolved_at": None, "assignee_id": None, "claimed_at": None}
        _move(uow, ticket, "reopened", actor, now, TicketStatus.OPEN, values, _note(note))
        cancel_on_reopen(uow, merchant_id=tenant.merchant.id, ticket_id=ticket_id, now=now)
        view = view_of(uow, tenant.merchant.id, ticket_id, now)
        uow.commit()
    return view


def escalation_target(tenant: Tenant, ticket: DeskTicket) -> EscalationLevel:
    """The level an escalation moves the ticket to (Conflict when it is already at the top)."""
    current = LEVELS.index(ticket.claim_level)
    home = next((q for q in tenant.policy.queues if q.name == ticket.home_queue), None)
    if home is not None and LEVELS.index(home.escalate_to) > current:
        return home.escalate_to
    if current + 1 >= len(LEVELS):
        raise Conflict(f"ticket {ticket.id} is already escalated to {ticket.claim_level.value}")
    return LEVELS[current + 1]


def customer_wrote(
    uow: UnitOfWork, *, ticket: DeskTicket, actor: Actor, body: str, now: datetime, detail: dict[str, Any]
) -> None:
    """Append the customer's new message; a ticket waiting on them returns to its agent (or the queue)
    and its clock runs again. Inside the caller's write transaction."""
    _require_state(ticket, "customer_wrote")
    uow.desk.add_message(
        merchant_id=ticket.merchant_id, ticket_id=ticket.id, author="customer", body=body, now=now
    )
    target = ticket.status
    values: dict[str, Any] = {}
    if ticket.status is TicketStatus.WAITING_ON_CUSTOMER:
        target = TicketStatus.CLAIMED if ticket.assignee_id is not None else TicketStatus.OPEN
        values = _clock_running(ticket, now)
    _move(uow, ticket, "customer_wrote", actor, now, target, values, detail)


def view_of(uow: UnitOfWork, merchant_id: int, ticket_id: int, now: datetime) -> TicketView:
    ticket = uow.desk.get(merchant_id=merchant_id, ticket_id=ticket_id)
    if ticket is None:
        raise NotFound(f"no ticket {ticket_id}")
    messages = uow.desk.messages(merchant_id=merchant_id, ticket_id=ticket_id)
    drafts = [m for m in messages if m.author == DRAFT]
    return TicketView(
        ticket=ticket,
        sla=sla_state(ticket, now),
        decision=uow.desk.decision(merchant_id=merchant_id, ticket_id=ticket_id),
        draft=drafts[-1] if drafts else None,
        messages=[m for m in messages if m.author != DRAFT],
        events=uow.desk.events(merchant_id=merchant_id, ticket_id=ticket_id),
    )


# -- the rules every change follows ---------------------------------------------------------------------


def _load(uow: UnitOfWork, tenant: Tenant, ticket_id: int) -> DeskTicket:
    """The ticket, its row locked until the transaction ends; another merchant's is NotFound."""
    merchant_id = tenant.merchant.id
    if uow.desk.lock(merchant_id=merchant_id, ticket_id=ticket_id) is None:
        raise NotFound(f"no ticket {ticket_id}")
    ticket = uow.desk.get(merchant_id=merchant_id, ticket_id=ticket_id)
    assert ticket is not None
    return ticket


def _require_person(actor: Actor, what: str) -> None:
    if not actor.is_person:
        raise Forbidden(f"only a person {what}: use a personal key or the workspace, not a machine key")


def _require_state(ticket: DeskTicket, action: str) -> None:
    if not may_act(action, ticket.status):
        raise Conflict(f"ticket {ticket.id} is {ticket.status.value}: it cannot be {_PAST[action]}")


def _require_handler(ticket: DeskTicket, actor: Actor) -> None:
    if actor.user_id != ticket.assignee_id and actor.role is not Role.ADMIN:
        raise Forbidden(f"ticket {ticket.id} is claimed by {ticket.assignee_label or 'someone else'}")


def _take(uow: UnitOfWork, ticket: DeskTicket, actor: Actor, now: datetime) -> None:
    values = {"assignee_id": actor.user_id, "claimed_at": now}
    _move(uow, ticket, "claimed", actor, now, TicketStatus.CLAIMED, values, None)


def _move(
    uow: UnitOfWork,
    ticket: DeskTicket,
    kind: str,
    actor: Actor,
    now: datetime,
    target: TicketStatus,
    values: dict[str, Any],
    detail: dict[str, Any] | None,
) -> None:
    """Change the row (only if still in the state it was read in) and write the event."""
    changed = uow.desk.change(
        merchant_id=ticket.merchant_id,
        ticket_id=ticket.id,
        expected=ticket.status,
        values={**values, "status": target, "updated_at": now},
    )
    if not changed:
        raise Conflict(f"ticket {ticket.id} changed meanwhile; read it again")
    uow.desk.add_event(
        merchant_id=ticket.merchant_id,
        ticket_id=ticket.id,
        kind=kind,
        at=now,
        actor=actor,
        from_status=ticket.status,
        to_status=target,
        detail=detail,
    )


def _clock_running(ticket: DeskTicket, now: datetime) -> dict[str, Any]:
    """The columns that resume a paused clock (nothing when it runs)."""
    if ticket.sla_paused_since is None:
        return {}
    resumed = resume(clock_of(ticket), now)
    return {"sla_paused_since": None, "sla_paused_seconds": resumed.paused_seconds}


def _replied_with(uow: UnitOfWork, ticket: DeskTicket, key: str) -> bool:
    replies = uow.desk.events(merchant_id=ticket.merchant_id, ticket_id=ticket.id, kind="replied")
    return any((e.detail or {}).get("idempotency_key") == key for e in replies)


def _grant_subject(ticket: DeskTicket) -> GrantSubject:
    return GrantSubject(
        ticket_id=ticket.id,
        email=ticket.email,
        customer_id=ticket.customer_id,
        segment=ticket.segment,
        order_id=ticket.order_id,
        order_total=ticket.order_total,
        order_currency=ticket.order_currency,
    )


def _note(note: str | None) -> dict[str, Any] | None:
    return {"note": note.strip()} if note and note.strip() else None


_PAST = {
    "claim": "claimed",
    "reply": "replied to (claim it first)",
    "resolve": "resolved",
    "escalate": "escalated",
    "reopen": "reopened",
    "customer_wrote": "written to",
}
