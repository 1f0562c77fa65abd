"""The decision: as `rapport triage --json` prints it, and as the store keeps it (versioned)."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from rapport.domain import Decision, EscalationLevel, FollowUp, Intent, OfferKind, ResolutionOffer, Tone
from rapport.schemas.customers import OUT
from rapport.schemas.values import Instant, Money, Percent


class ResolutionOut(BaseModel):
    """The offer, within the merchant's limits; `capped_by` names the limit that reduced it."""

    model_config = OUT

    offer: OfferKind
    amount: Money | None
    percent: Percent | None
    currency: str
    shipping: str | None
    requires_return: bool
    reason: str | None
    capped_by: str | None
    rule: str | None

    @classmethod
    def from_domain(cls, offer: ResolutionOffer) -> ResolutionOut:
        return cls(
            offer=offer.offer,
            amount=offer.amount,
            percent=offer.percent,
            currency=offer.currency,
            shipping=offer.shipping,
            requires_return=offer.requires_return,
            reason=offer.reason,
            capped_by=offer.capped_by,
            rule=offer.rule,
        )


class ToneOut(BaseModel):
    model_config = OUT

    style: str
    acknowledge_history: bool

    @classmethod
    def from_domain(cls, tone: Tone) -> ToneOut:
        return cls(style=tone.style, acknowledge_history=tone.acknowledge_history)


class FollowUpOut(BaseModel):
    """A scheduled touch after the reply; `from` is who sends it (agent, senior, system)."""

    model_config = ConfigDict(**OUT, validate_by_name=True, serialize_by_alias=True)

    due_at: Instant
    kind: str
    channel: str
    sender: str = Field(alias="from")

    @classmethod
    def from_domain(cls, follow_up: FollowUp) -> FollowUpOut:
        return cls.model_validate(
            {
                "due_at": follow_up.due_at,
                "kind": follow_up.kind,
                "channel": follow_up.channel,
                "from": follow_up.sender,
            }
        )


class DecisionFields(BaseModel):
    """The fields of a decision, shared by every model that shows one."""

    model_config = OUT

    intent: Intent
    intent_confidence: float
    needs_human: bool
    segment: str
    segment_rule: str
    queue: str
    priority: int
    first_response_due: Instant
    escalation_level: EscalationLevel
    resolution: ResolutionOut
    tone: ToneOut
    follow_ups: list[FollowUpOut]
    explanation: list[str]

    @classmethod
    def fields_of(cls, decision: Decision) -> dict[str, object]:
        """The decision's fields as constructor arguments (shared by the models that embed them)."""
        return {
            "intent": decision.intent,
            "intent_confidence": round(decision.intent_confidence, 3),
            "needs_human": decision.needs_human,
            "segment": decision.segment,
            "segment_rule": decision.segment_rule,
            "queue": decision.queue,
            "priority": decision.priority,
            "first_response_due": decision.first_response_due,
            "escalation_level": decision.escalation_level,
            "resolution": ResolutionOut.from_domain(decision.resolution),
            "tone": ToneOut.from_domain(decision.tone),
            "follow_ups": [FollowUpOut.from_domain(f) for f in decision.follow_ups],
            "explanation": list(decision.explanation),
        }


class DecisionOut(DecisionFields):
    """The whole treatment of one ticket, with the explanation of every choice."""

    @classmethod
    def from_domain(cls, decision: Decision) -> Self:
        return cls.model_validate(cls.fields_of(decision))


STORED_DECISION_VERSION: Literal[1] = 1


class StoredDecision(DecisionOut):
    """The decision JSON stored with each ticket; `schema_version` says how to read it back.

    Version 1 is `DecisionOut` plus `schema_version`. Rows written before versioning have no
    `schema_version` and the same fields: read them with `StoredDecision.read`.
    """

    schema_version: Literal[1] = STORED_DECISION_VERSION

    @classmethod
    def read(cls, stored: dict[str, object]) -> StoredDecision:
        """A stored decision of any version (unversioned rows are version 1 without the field)."""
        return cls.model_validate({"schema_version": STORED_DECISION_VERSION, **stored})
