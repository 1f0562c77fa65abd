"""What the engine decided for a ticket, and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from rapport.domain.ticket import Intent


class OfferKind(StrEnum):
    """The fixed vocabulary of resolutions a policy can grant (see docs/policy.md)."""

    REPLACEMENT = "replacement"
    RESHIP = "reship"
    REFUND = "refund"
    PARTIAL_REFUND = "partial_refund"
    STORE_CREDIT = "store_credit"
    DISCOUNT_CODE = "discount_code"
    EXCHANGE = "exchange"
    RETURN_FOR_REFUND = "return_for_refund"
    WAIVE_FEE = "waive_fee"
    FREE_SHIPPING_UPGRADE = "free_shipping_upgrade"
    APOLOGY_WITH_TRACKING = "apology_with_tracking"
    ESCALATE = "escalate"
    NONE = "none"


# Offers that move money to the customer, and which limit bounds each.
MONEY_OFFERS: dict[OfferKind, str] = {
    OfferKind.REFUND: "max_refund",
    OfferKind.PARTIAL_REFUND: "max_refund",
    OfferKind.RETURN_FOR_REFUND: "max_refund",
    OfferKind.STORE_CREDIT: "max_credit",
    OfferKind.WAIVE_FEE: "max_refund",
}


class EscalationLevel(StrEnum):
    """Who takes the ticket if it escalates."""

    AGENT = "agent"
    SENIOR = "senior"
    MANAGER = "manager"


@dataclass(frozen=True, slots=True)
class ResolutionOffer:
    """The resolution offered to the customer, always within the merchant's limits.

    `amount` is money (refund, credit, fee waived) in `currency`; `percent` is a discount.
    `capped_by` names the limit that reduced or refused the policy's first choice.
    `reason` is a sentence the reply can state (required for `none`).
    """

    offer: OfferKind
    currency: str
    amount: Decimal | None = None
    percent: Decimal | None = None
    shipping: str | None = None  # standard, express, overnight
    requires_return: bool = False
    reason: str | None = None
    capped_by: str | None = None
    rule: str | None = None  # which policy rule chose it, e.g. "resolutions.damaged_item[1]"


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A scheduled touch after the reply."""

    due_at: datetime
    kind: str  # check_in, personal_check_in, satisfaction_survey, ...
    channel: str = "email"
    sender: str = "agent"  # who sends it: agent, senior, system


@dataclass(frozen=True, slots=True)
class Tone:
    """How the reply should sound."""

    style: str  # concise_warm, patient_detailed, friendly, ...
    acknowledge_history: bool = True


@dataclass(frozen=True, slots=True)
class Decision:
    """The whole treatment of one ticket, with the explanation of every choice."""

    intent: Intent
    intent_confidence: float
    segment: str
    segment_rule: str  # e.g. 'segments[0] vip: customer.total_spent >= 2000.0 || ...'
    queue: str
    priority: int  # higher is more urgent
    first_response_due: datetime
    escalation_level: EscalationLevel
    resolution: ResolutionOffer
    tone: Tone
    follow_ups: tuple[FollowUp, ...]
    explanation: tuple[str, ...]
    needs_human: bool = False
