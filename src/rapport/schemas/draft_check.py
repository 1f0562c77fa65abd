"""The lines of `rapport draft check FILE.jsonl`: a draft written elsewhere and what it must state.

    {"draft": {"subject": "...", "body": "..."},
     "decision": {... as `rapport triage --json` prints it (TriageOut / DecisionOut) ...},
     "customer": {... as `rapport profile --json` prints it (CustomerOut), plus optional recent_orders ...},
     "ticket": {"email": "...", "message": "...", "order": {"name": "#1042", ...} | "#1042" | null},
     "brand": {"support_email": "help@shop.example"}}            (optional)

Only the fields the guardrails read are required: draft.subject, draft.body, decision.intent,
decision.resolution.offer and .currency, customer.email. Everything else has a neutral default,
and fields this reader does not use are ignored (so whole `triage --json` objects can be pasted).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from rapport.domain import (
    CustomerProfile,
    Decision,
    EscalationLevel,
    Intent,
    IntentReading,
    OfferKind,
    OrderSummary,
    ResolutionOffer,
    Ticket,
    Tone,
)
from rapport.domain.errors import InvalidInput
from rapport.schemas.values import DecimalIn, InstantIn

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
IN = ConfigDict(frozen=True, extra="ignore")


class _In(BaseModel):
    model_config = IN


def _order_by_name(value: Any) -> Any:
    return {"name": value} if isinstance(value, str) else value


class OrderIn(_In):
    """An order as `OrderOut` writes it, or just its name ("#1042")."""

    name: str
    id: str | int | None = None
    created_at: InstantIn | None = None
    total: DecimalIn | None = None
    currency: str | None = None
    financial_status: str | None = None
    fulfillment_status: str | None = None

    def to_domain(self) -> OrderSummary:
        return OrderSummary(
            id=str(self.id or self.name),
            name=self.name,
            created_at=self.created_at or EPOCH,
            total=self.total if self.total is not None else Decimal("0"),
            currency=self.currency or "USD",
            financial_status=self.financial_status or "",
            fulfillment_status=self.fulfillment_status or "",
        )


OrderField = Annotated[OrderIn, BeforeValidator(_order_by_name)]


class DraftTextIn(_In):
    subject: str
    body: str
    drafter: str | None = None


class ResolutionIn(_In):
    offer: OfferKind
    currency: str
    amount: DecimalIn | None = None
    percent: DecimalIn | None = None
    shipping: str | None = None
    requires_return: bool | None = None
    reason: str | None = None

    def to_domain(self) -> ResolutionOffer:
        return ResolutionOffer(
            offer=self.offer,
            currency=self.currency.upper(),
            amount=self.amount,
            percent=self.percent,
            shipping=self.shipping,
            requires_return=bool(self.requires_return),
            reason=self.reason,
        )


class ToneIn(_In):
    style: str | None = None
    acknowledge_history: bool | None = None


class DecisionIn(_In):
    intent: Intent
    resolution: ResolutionIn
    intent_confidence: float | None = None
    segment: str | None = None
    segment_rule: str | None = None
    queue: str | None = None
    priority: int | None = None
    first_response_due: InstantIn | None = None
    escalation_level: EscalationLevel | None = None
    tone: ToneIn | None = None
    explanation: list[str] | None = None

    def to_domain(self) -> Decision:
        tone = self.tone or ToneIn()
        return Decision(
            intent=self.intent,
            intent_confidence=self.intent_confidence or 1.0,
            segment=self.segment or "",
            segment_rule=self.segment_rule or "",
            queue=self.queue or "",
            priority=self.priority or 0,
            first_response_due=self.first_response_due or EPOCH,
            escalation_level=self.escalation_level or EscalationLevel.AGENT,
            resolution=self.resolution.to_domain(),
            tone=Tone(
                style=tone.style or "friendly",
                acknowledge_history=True if tone.acknowledge_history is None else tone.acknowledge_history,
            ),
            follow_ups=(),
            explanation=tuple(self.explanation or ()),
        )


class CustomerIn(_In):
    email: str
    known: bool | None = None
    id: str | int | None = None
    first_name: str | None = None
    last_name: str | None = None
    locale: str | None = None
    orders_count: int | None = None
    last_order: OrderField | None = None
    recent_orders: list[OrderField] | None = None
    contacts_last_90d: int | None = None
    currency: str | None = None

    def to_domain(self) -> CustomerProfile:
        return CustomerProfile(
            email=self.email,
            is_known=True if self.known is None else self.known,
            customer_id=None if self.id is None else str(self.id),
            first_name=self.first_name,
            last_name=self.last_name,
            locale=self.locale,
            orders_count=self.orders_count or 0,
            last_order=None if self.last_order is None else self.last_order.to_domain(),
            recent_orders=tuple(o.to_domain() for o in self.recent_orders or ()),
            contacts_last_90d=self.contacts_last_90d or 0,
            currency=self.currency or "USD",
        )


class TicketRefIn(_In):
    """The ticket the draft answers; e-mail and intent default to the customer's and the decision's."""

    email: str | None = None
    message: str | None = None
    intent: Intent | None = None
    received_at: InstantIn | None = None
    order: OrderField | None = None
    id: str | int | None = None

    def to_domain(self, *, profile: CustomerProfile, decision: Decision) -> Ticket:
        return Ticket(
            email=self.email or profile.email,
            message=self.message or "",
            received_at=self.received_at or EPOCH,
            reading=IntentReading(intent=self.intent or decision.intent, confidence=1.0, source="given"),
            order=None if self.order is None else self.order.to_domain(),
            id=None if self.id is None else str(self.id),
        )


class BrandIn(_In):
    support_email: str | None = None


@dataclass(frozen=True, slots=True)
class DraftCheck:
    """One line, read: the draft's text and the domain values the guardrails check it against."""

    subject: str
    body: str
    drafter: str
    ticket: Ticket
    profile: CustomerProfile
    decision: Decision
    support_email: str | None


class DraftCheckLine(_In):
    """One line of `rapport draft check` (see the module docstring)."""

    draft: DraftTextIn
    decision: DecisionIn
    customer: CustomerIn
    ticket: TicketRefIn | None = None
    brand: BrandIn | None = None

    def to_domain(self) -> DraftCheck:
        decision = self.decision.to_domain()
        profile = self.customer.to_domain()
        ticket = (self.ticket or TicketRefIn()).to_domain(profile=profile, decision=decision)
        return DraftCheck(
            subject=self.draft.subject,
            body=self.draft.body,
            drafter=self.draft.drafter or "external",
            ticket=ticket,
            profile=profile,
            decision=decision,
            support_email=(self.brand or BrandIn()).support_email,
        )


def read_draft_check_line(raw: str) -> DraftCheck:
    """Read one JSONL line; an unusable line raises `InvalidInput` naming the field and what is wrong."""
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(record, dict):
        raise InvalidInput("record: expected an object")
    try:
        return DraftCheckLine.model_validate(record).to_domain()
    except ValidationError as exc:
        raise InvalidInput(describe(exc)) from None


def describe(exc: ValidationError) -> str:
    """The first problem of a validation error as `path.to.field: what is wrong`."""
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "record"
    kind, value = first["type"], first.get("input")
    if kind == "missing":
        what = "is required"
    elif kind == "enum":
        what = f"{value!r} is not one of {first.get('ctx', {}).get('expected', '')}"
    elif kind in ("model_type", "dict_type", "model_attributes_type"):
        what = "expected an object"
    elif kind == "string_type":
        what = "expected a string"
    else:
        what = first["msg"]
    return f"{where}: {what}"
