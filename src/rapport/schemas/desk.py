"""The desk's wire formats: a message coming in, a ticket with its SLA clock, conversation and history,
the queue board, and the bodies of the lifecycle actions.

The constructors take anything shaped like the desk services' results (the protocols below): this
package does not import the services."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from rapport.domain.decision import EscalationLevel, OfferKind
from rapport.domain.desk import TicketStatus
from rapport.domain.desk_records import DeskEvent, DeskMessage, DeskTicket
from rapport.schemas.customers import OUT
from rapport.schemas.decisions import DecisionOut, StoredDecision
from rapport.schemas.drafts import GuardrailsOut, ViolationOut
from rapport.schemas.tickets import EMAIL_PATTERN
from rapport.schemas.values import NO_NUL, DecimalIn, Instant, InstantIn, Money, Percent

IN = ConfigDict(frozen=True, extra="forbid")
KEY = Field(default=None, min_length=1, max_length=200, pattern=NO_NUL)
SOME_TEXT = r"^[^\x00]*[^\x00\s][^\x00]*$"  # not only spaces, no NUL
DraftSource = Literal["template", "llm", "edited", "manual"]


# -- requests ---------------------------------------------------------------------------------------


class TicketCreateIn(BaseModel):
    """A customer's message for the desk. The same `idempotency_key` again returns the same ticket."""

    model_config = IN

    email: str = Field(min_length=3, max_length=320, pattern=EMAIL_PATTERN)
    name: str | None = Field(default=None, max_length=200, pattern=NO_NUL)
    channel: str = Field(default="email", min_length=1, max_length=40, pattern=NO_NUL)
    subject: str | None = Field(default=None, max_length=500, pattern=NO_NUL)
    body: str = Field(min_length=1, max_length=50_000, pattern=NO_NUL)
    order: str | None = Field(default=None, max_length=64, pattern=NO_NUL, examples=["#1042"])
    idempotency_key: str | None = KEY
    now: InstantIn | None = None


class ResolutionIn(BaseModel):
    """What the reply grants (the decision's offer, possibly changed); amounts in `currency`
    (default: the order's, else the policy's). `reason` is required for an admin above the senior bound."""

    model_config = IN

    offer: OfferKind
    amount: DecimalIn | None = None
    percent: DecimalIn | None = None
    currency: str | None = Field(default=None, min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")
    reason: str | None = Field(default=None, max_length=2_000, pattern=NO_NUL)


class ReplyIn(BaseModel):
    """The reply sent (the draft, possibly edited). `ask_customer`: the ticket then waits on them."""

    model_config = IN

    body: str = Field(min_length=1, max_length=50_000, pattern=SOME_TEXT)
    draft_source: DraftSource = "template"
    ask_customer: bool = False
    resolution: ResolutionIn | None = None
    idempotency_key: str | None = KEY


class NoteIn(BaseModel):
    """An optional note recorded with a resolve or reopen."""

    model_config = IN

    note: str | None = Field(default=None, max_length=2_000, pattern=NO_NUL)


class EscalateIn(BaseModel):
    model_config = IN

    reason: str = Field(min_length=1, max_length=2_000, pattern=SOME_TEXT)


# -- answers ----------------------------------------------------------------------------------------


class SlaLike(Protocol):
    @property
    def first_response_due(self) -> datetime: ...
    @property
    def effective_due(self) -> datetime: ...
    @property
    def first_responded_at(self) -> datetime | None: ...
    @property
    def paused(self) -> bool: ...
    @property
    def time_left(self) -> timedelta | None: ...
    @property
    def breached(self) -> bool: ...


class SlaOut(BaseModel):
    """The first-response clock: `time_left_seconds` negative when overdue, null once answered."""

    model_config = OUT

    first_response_due: Instant
    effective_due: Instant
    first_responded_at: Instant | None
    paused: bool
    time_left_seconds: int | None
    breached: bool

    @classmethod
    def from_domain(cls, sla: SlaLike) -> SlaOut:
        left = sla.time_left
        return cls(
            first_response_due=sla.first_response_due,
            effective_due=sla.effective_due,
            first_responded_at=sla.first_responded_at,
            paused=sla.paused,
            time_left_seconds=None if left is None else int(left.total_seconds()),
            breached=sla.breached,
        )


class TicketSummaryOut(BaseModel):
    """A ticket as the queue board lists it."""

    model_config = OUT

    id: int
    status: TicketStatus
    queue: str
    home_queue: str
    segment: str
    priority: int
    escalation_level: EscalationLevel
    claim_level: EscalationLevel
    assignee_id: int | None
    assignee: str | None
    email: str
    customer_name: str | None
    subject: str | None
    channel: str
    intent: str
    order: str | None
    received_at: Instant
    updated_at: Instant | None
    resolved_at: Instant | None
    sla: SlaOut

    @classmethod
    def from_domain(cls, ticket: DeskTicket, sla: SlaLike) -> TicketSummaryOut:
        return cls(
            id=ticket.id,
            status=ticket.status,
            queue=ticket.queue,
            home_queue=ticket.home_queue,
            segment=ticket.segment,
            priority=ticket.priority,
            escalation_level=ticket.escalation_level,
            claim_level=ticket.claim_level,
            assignee_id=ticket.assignee_id,
            assignee=ticket.assignee_label,
            email=ticket.email,
            customer_name=ticket.customer_name,
            subject=ticket.subject,
            channel=ticket.channel,
            intent=ticket.intent,
            order=ticket.order_name,
            received_at=ticket.received_at,
            updated_at=ticket.updated_at,
            resolved_at=ticket.resolved_at,
            sla=SlaOut.from_domain(sla),
        )


class MessageOut(BaseModel):
    model_config = OUT

    id: int
    author: str
    user_id: int | None
    body: str
    created_at: Instant
    draft_source: str | None

    @classmethod
    def from_domain(cls, message: DeskMessage) -> MessageOut:
        return cls(
            id=message.id,
            author=message.author,
            user_id=message.user_id,
            body=message.body,
            created_at=message.created_at,
            draft_source=message.draft_source,
        )


class KeptDraftOut(BaseModel):
    """The reply drafted at intake, with its guardrail result (`drafter`: template or llm)."""

    model_config = OUT

    subject: str | None
    body: str
    drafter: str | None
    fallback_reason: str | None
    guardrails: GuardrailsOut | None

    @classmethod
    def from_domain(cls, draft: DeskMessage) -> KeptDraftOut:
        facts: dict[str, Any] = draft.guardrails or {}
        passed = facts.get("passed")
        violations = [ViolationOut(code=v["code"], message=v["message"]) for v in facts.get("violations", [])]
        return cls(
            subject=facts.get("subject"),
            body=draft.body,
            drafter=draft.draft_source,
            fallback_reason=facts.get("fallback_reason"),
            guardrails=None if passed is None else GuardrailsOut(passed=passed, violations=violations),
        )


class EventOut(BaseModel):
    """One change: what (`kind`), from which status to which, who (`actor`) and when."""

    model_config = OUT

    id: int
    at: Instant
    kind: str
    from_status: TicketStatus | None
    to_status: TicketStatus | None
    actor: str
    actor_user_id: int | None
    detail: dict[str, Any] | None

    @classmethod
    def from_domain(cls, event: DeskEvent) -> EventOut:
        return cls(
            id=event.id,
            at=event.at,
            kind=event.kind,
            from_status=event.from_status,
            to_status=event.to_status,
            actor=event.actor_label,
            actor_user_id=event.actor_user_id,
            detail=event.detail,
        )


class TicketViewLike(Protocol):
    @property
    def ticket(self) -> DeskTicket: ...
    @property
    def sla(self) -> SlaLike: ...
    @property
    def decision(self) -> StoredDecision | None: ...
    @property
    def draft(self) -> DeskMessage | None: ...
    @property
    def messages(self) -> Sequence[DeskMessage]: ...
    @property
    def events(self) -> Sequence[DeskEvent]: ...


class TicketOut(TicketSummaryOut):
    """`GET /v1/tickets/{id}`: the ticket, its decision with the explanation, the kept draft, the
    conversation and every change."""

    decision: DecisionOut | None
    draft: KeptDraftOut | None
    messages: list[MessageOut]
    events: list[EventOut]

    @classmethod
    def from_view(cls, view: TicketViewLike) -> TicketOut:
        summary = TicketSummaryOut.from_domain(view.ticket, view.sla)
        decision = None
        if view.decision is not None:
            decision = DecisionOut.model_validate(view.decision.model_dump(exclude={"schema_version"}))
        return cls(
            **dict(summary),
            decision=decision,
            draft=None if view.draft is None else KeptDraftOut.from_domain(view.draft),
            messages=[MessageOut.from_domain(m) for m in view.messages],
            events=[EventOut.from_domain(e) for e in view.events],
        )


class TicketCreatedOut(BaseModel):
    """`POST /v1/tickets`: `outcome` created (201), appended to the customer's unresolved ticket (200),
    or retried (200: the same idempotency key came before; nothing changed)."""

    model_config = OUT

    outcome: Literal["created", "appended", "retried"]
    ticket: TicketOut


class GrantOut(BaseModel):
    """What a reply granted, as the ledger recorded it (`replayed`: a retry returned the first grant)."""

    model_config = OUT

    id: int
    offer: OfferKind
    amount: Money | None
    percent: Percent | None
    currency: str
    granted_by: str
    role: str
    reason: str | None
    replayed: bool


class GrantLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def offer(self) -> OfferKind: ...
    @property
    def amount(self) -> Decimal | None: ...
    @property
    def percent(self) -> Decimal | None: ...
    @property
    def currency(self) -> str: ...
    @property
    def granted_by(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def replayed(self) -> bool: ...


class ReplyOut(BaseModel):
    """`POST /v1/tickets/{id}/reply`: the ticket after the reply, the grant it made, and whether this was
    a retry (the same idempotency key: nothing was sent or granted again)."""

    model_config = OUT

    ticket: TicketOut
    grant: GrantOut | None
    replayed: bool

    @classmethod
    def of(cls, view: TicketViewLike, grant: GrantLike | None, *, replayed: bool) -> ReplyOut:
        granted = None
        if grant is not None:
            granted = GrantOut(
                id=grant.id,
                offer=grant.offer,
                amount=grant.amount,
                percent=grant.percent,
                currency=grant.currency,
                granted_by=grant.granted_by,
                role=str(grant.role),
                reason=grant.reason,
                replayed=grant.replayed,
            )
        return cls(ticket=TicketOut.from_view(view), grant=granted, replayed=replayed)


class QueueOut(BaseModel):
    """One queue of the board: tickets per status, the earliest first-response due among its unanswered
    unresolved tickets, and how many unresolved ones are breached."""

    model_config = OUT

    name: str
    counts: dict[TicketStatus, int]
    oldest_due: Instant | None
    breached: int


class QueuesOut(BaseModel):
    model_config = OUT

    queues: list[QueueOut]


class QueueTicketsOut(BaseModel):
    """A page of a queue: highest priority first, then the earliest due. `next_cursor` fetches the next
    page (`?cursor=`); null on the last."""

    model_config = OUT

    queue: str
    tickets: list[TicketSummaryOut]
    next_cursor: str | None
