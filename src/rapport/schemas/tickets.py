"""A ticket coming in (`TicketIn`, the API's request body) and what triage says about it (`TriageOut`)."""

from __future__ import annotations

from typing import Annotated, Protocol

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from rapport.domain import CustomerProfile, Decision, Entity, Intent, Signal, Ticket
from rapport.schemas.customers import OUT, CustomerRef, OrderOut
from rapport.schemas.decisions import DecisionFields
from rapport.schemas.values import NO_NUL, InstantIn

EMAIL_PATTERN = r"^[^@\s\x00]+@[^@\s\x00]+$"

IntentName = Annotated[
    str,
    Field(max_length=64, pattern=NO_NUL),
    WithJsonSchema({"type": "string", "enum": [intent.value for intent in Intent]}),
]
"""An intent as a client names it: published as the list of intents; an unknown one is refused by
triage itself (422 `unknown_intent`, with the list)."""


class TicketIn(BaseModel):
    """An inbound message; `order` and `intent` are optional hints from the help desk.

    `now` decides as of that instant (ISO 8601; no offset means UTC; years 1970-2199); default: the clock.
    Nothing is stored unless `record` is true. No text may hold a NUL character (422).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    email: str = Field(min_length=3, max_length=320, pattern=EMAIL_PATTERN)
    # 50,000 characters: even written as \u escapes (12 bytes for an emoji), every valid ticket fits in
    # the default RAPPORT_MAX_REQUEST_BYTES (1,000,000), so a valid body is never refused as too large.
    message: str = Field(max_length=50_000, pattern=NO_NUL)
    order: str | None = Field(default=None, max_length=64, pattern=NO_NUL, examples=["#1042"])
    intent: IntentName | None = Field(default=None, examples=["damaged_item"])
    now: InstantIn | None = None
    record: bool = Field(
        default=False,
        description="Store the ticket and its decision (it then counts as a contact); default: a preview.",
    )


class EntityOut(BaseModel):
    model_config = OUT

    kind: str
    value: str

    @classmethod
    def from_domain(cls, entity: Entity) -> EntityOut:
        return cls(kind=entity.kind, value=entity.value)


class SignalOut(BaseModel):
    model_config = OUT

    kind: str
    evidence: str

    @classmethod
    def from_domain(cls, signal: Signal) -> SignalOut:
        return cls(kind=signal.kind, evidence=signal.evidence)


class Triaged(Protocol):
    """Anything holding a triaged ticket (the triage service's `TriageResult`)."""

    @property
    def ticket(self) -> Ticket: ...
    @property
    def profile(self) -> CustomerProfile: ...
    @property
    def decision(self) -> Decision: ...


class _Customer(BaseModel):
    model_config = OUT

    customer: CustomerRef


class TriageOut(DecisionFields, _Customer):
    """`rapport triage --json` and `POST /v1/tickets/triage`: the customer, the decision's fields at the
    top level, and what was read from the message (the order it is about, entities, signals)."""

    order: OrderOut | None
    entities: list[EntityOut]
    signals: list[SignalOut]

    @classmethod
    def from_domain(cls, ticket: Ticket, profile: CustomerProfile, decision: Decision) -> TriageOut:
        return cls.model_validate(
            {
                "customer": CustomerRef.from_domain(profile),
                **cls.fields_of(decision),
                "order": None if ticket.order is None else OrderOut.from_domain(ticket.order),
                "entities": [EntityOut.from_domain(e) for e in ticket.entities],
                "signals": [SignalOut.from_domain(s) for s in ticket.signals],
            }
        )

    @classmethod
    def from_result(cls, result: Triaged) -> TriageOut:
        return cls.from_domain(result.ticket, result.profile, result.decision)
