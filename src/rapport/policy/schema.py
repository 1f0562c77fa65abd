"""The policy's shape, validated by pydantic: the `Policy` the engine reads.

Structural rules live here (types, unknown fields, ranges); rules that relate one section
to another (a queue naming an unknown segment, ...) live in `checks.py`.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationInfo,
    field_validator,
)

from rapport.domain.decision import EscalationLevel, OfferKind
from rapport.domain.signals import SignalRules
from rapport.domain.ticket import READABLE_LANGUAGES, Intent, Urgency
from rapport.policy.durations import parse_duration
from rapport.policy.expressions import Expression, compile_expression

CENT = Decimal("0.01")
MAX_MONEY = Decimal("1000000000")  # a limit above a billion is a typo, not a policy


def _to_rule(value: object, *, allow_segment: bool = True) -> Expression:
    if isinstance(value, bool):
        value = "true" if value else "false"
    if not isinstance(value, str) or not value.strip():
        raise ValueError('expected a CEL expression in a string, e.g. "customer.orders_count >= 3"')
    return compile_expression(value, allow_segment=allow_segment)


def _to_segment_rule(value: object) -> Expression:
    return _to_rule(value, allow_segment=False)


def _to_amount(value: object) -> Decimal | Expression:
    """A number is a fixed amount; a string is a CEL expression such as `order.total * 0.5`."""
    if isinstance(value, bool):
        raise ValueError("expected a number or a CEL expression, got a boolean")
    if isinstance(value, int | float):
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not amount.is_finite():
            raise ValueError("must be a finite number")
        if amount < 0:
            raise ValueError("must not be negative")
        return amount
    if isinstance(value, str):
        return compile_expression(value)
    raise ValueError('expected a number or a CEL expression such as "order.total * 0.5"')


def _round_down_to_cents(value: Decimal) -> Decimal:
    # Rounding down keeps a limit of 99.999 from allowing 100.00.
    return value.quantize(CENT, rounding=ROUND_DOWN)


Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Rule = Annotated[Expression, PlainValidator(_to_rule)]
SegmentRule = Annotated[Expression, PlainValidator(_to_segment_rule)]
Amount = Annotated[Decimal | Expression, PlainValidator(_to_amount)]
Duration = Annotated[timedelta, PlainValidator(parse_duration)]
Money = Annotated[Decimal, Field(ge=0, le=MAX_MONEY), AfterValidator(_round_down_to_cents)]
Percent = Annotated[Decimal, Field(ge=0, le=100), AfterValidator(_round_down_to_cents)]
# currency_rates: 1 unit of the key's currency = this much of the policy's currency.
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Rate = Annotated[Decimal, Field(ge=Decimal("0.000000001"), le=MAX_MONEY)]
Shipping = Literal["standard", "express", "overnight"]
Sender = Literal["agent", "senior", "manager", "system"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Brand(_Model):
    """How replies present the merchant (read by the reply drafter)."""

    store_name: str = "our store"
    agent_name: str = "Customer care"
    sign_off: str = "Warm regards"
    locale: str = "en_US"
    support_email: str | None = None
    # Hosts a model-worded reply may link to (and their subdomains); empty = the support e-mail's domain.
    allowed_domains: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")]] = Field(
        default_factory=list
    )


class Segment(_Model):
    """A kind of customer; the first segment whose `when` holds wins."""

    name: Name
    when: SegmentRule = Field(default_factory=lambda: compile_expression("true"))


class Queue(_Model):
    """Where tickets of some segments go, how fast they are answered, who takes escalations."""

    name: Name
    segments: list[Name] = Field(min_length=1)
    first_response: Duration
    escalate_to: EscalationLevel = EscalationLevel.AGENT


class Limits(_Model):
    """The authority granted for one segment: nothing above these is ever offered."""

    max_refund: Money
    max_credit: Money
    max_discount_percent: Percent
    credit_budget_90d: Money
    refund_budget_90d: Money | None = None
    max_order_value_for_auto: Money | None = None


class ResolutionRule(_Model):
    """One rule of an intent: when it holds, offer this (then the limits apply)."""

    when: Rule | None = None
    offer: OfferKind
    amount: Amount | None = None
    percent: Amount | None = None
    shipping: Shipping | None = None
    requires_return: bool | None = None
    reason: str | None = Field(default=None, min_length=1)


class ToneRule(_Model):
    """How replies to a segment should sound."""

    style: str = Field(min_length=1)
    acknowledge_history: bool = True


class FollowUpRule(_Model):
    """A touch scheduled `after` the reply."""

    model_config = ConfigDict(populate_by_name=True)

    after: Duration
    kind: str = Field(min_length=1)
    sender: Sender = Field(default="agent", alias="from")
    channel: str = "email"
    # What `after` counts from: the resolution, the delivery of the order (a replacement's, when the
    # order's fulfillment says it was delivered), or the subscription's next billing date.
    relative_to: Literal["resolution", "delivery", "next_billing"] = "resolution"


ClockTime = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


def _to_time_zone(value: object) -> str:
    # The IANA database ships with Python (tzdata); an unknown name is a typo, caught at load time.
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not isinstance(value, str) or not value.strip():
        raise ValueError('expected an IANA time zone name, e.g. "Europe/Paris"')
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (an IANA name such as Europe/Paris)") from None
    return value


TimeZoneName = Annotated[str, PlainValidator(_to_time_zone)]


class QuietHours(_Model):
    """When no follow-up is sent, in the customer's local time (e.g. from 21:00 to 08:00).

    `time_zone` is the customer's when the store knows none (customers carry no time zone today)."""

    model_config = ConfigDict(populate_by_name=True)

    start: ClockTime = Field(alias="from")
    end: ClockTime = Field(alias="to")
    time_zone: TimeZoneName = "UTC"

    @field_validator("end")
    @classmethod
    def _not_empty(cls, end: str, info: ValidationInfo) -> str:
        if end == info.data.get("start"):
            raise ValueError("from and to are the same time: quiet hours would be empty")
        return end


def _default_urgency() -> dict[Urgency, int]:
    return {Urgency.LOW: 0, Urgency.NORMAL: 0, Urgency.HIGH: 15, Urgency.CRITICAL: 30}


def _default_signal_bumps() -> dict[str, int]:
    return {"chargeback_threat": 10, "legal_threat": 10, "safety_issue": 10, "repeat_contact": 5}


def _default_escalation_signals() -> dict[str, EscalationLevel]:
    return {
        "chargeback_threat": EscalationLevel.MANAGER,
        "legal_threat": EscalationLevel.MANAGER,
        "safety_issue": EscalationLevel.SENIOR,
    }


class Priority(_Model):
    """Priority = the queue's base + the urgency's bump + a bump per distinct signal."""

    queue_base: dict[str, int] = Field(default_factory=dict)
    urgency: dict[Urgency, int] = Field(default_factory=_default_urgency)
    signals: dict[str, int] = Field(default_factory=_default_signal_bumps)


class Escalation(_Model):
    """When a ticket goes higher than its queue's level, or to a human at all."""

    signals: dict[str, EscalationLevel] = Field(default_factory=_default_escalation_signals)
    min_confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    when_no_rule: Literal["escalate", "none"] = "escalate"
    # The languages handled automatically (ISO 639-1); a message read in another one goes to a person.
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)

    @field_validator("languages")
    @classmethod
    def _readable_languages(cls, languages: list[str]) -> list[str]:
        unknown = [code for code in languages if code not in READABLE_LANGUAGES]
        if unknown:
            raise ValueError(
                f"{', '.join(map(repr, unknown))}: not a language Rapport tells apart; "
                f"use ISO 639-1 codes among {', '.join(READABLE_LANGUAGES)}"
            )
        if len(set(languages)) != len(languages):
            raise ValueError("a language is listed twice")
        return languages


class Signals(_Model):
    """Which of the shop's tags, selling plans and metafields mean a subscription or a loyalty tier.

    Read by every Shopify source (sync, webhooks, CSV exports); the defaults are `SignalRules()`'s."""

    subscription_tags: list[str] = Field(default_factory=lambda: list(SignalRules().subscription_tags))
    inactive_subscription_tags: list[str] = Field(
        default_factory=lambda: list(SignalRules().inactive_subscription_tags)
    )
    selling_plans_mean_subscription: bool = True
    loyalty_tiers: list[str] = Field(default_factory=lambda: list(SignalRules().loyalty_tiers))
    loyalty_tag_prefixes: list[str] = Field(default_factory=lambda: list(SignalRules().loyalty_tag_prefixes))
    loyalty_metafield: str | None = Field(
        default=SignalRules().loyalty_metafield, pattern=r"^[\w-]+\.[\w-]+$"
    )

    def rules(self) -> SignalRules:
        """The rules as the ingestion services take them."""
        return SignalRules(
            subscription_tags=tuple(self.subscription_tags),
            inactive_subscription_tags=tuple(self.inactive_subscription_tags),
            selling_plans_mean_subscription=self.selling_plans_mean_subscription,
            loyalty_tiers=tuple(self.loyalty_tiers),
            loyalty_tag_prefixes=tuple(self.loyalty_tag_prefixes),
            loyalty_metafield=self.loyalty_metafield,
        )


class Desk(_Model):
    """How the support desk applies the policy to people (see docs/policy.md, "desk").

    `senior_multiple`: a senior may grant up to this many times the segment's limits and budgets (an
    agent up to the limits; an admin above them only with a written reason).
    `pause_sla_while_waiting`: the first-response clock stops while the ticket waits on the customer.
    """

    senior_multiple: Annotated[Decimal, Field(ge=1, le=100)] = Decimal(2)
    pause_sla_while_waiting: bool = True


class Policy(_Model):
    """A merchant's whole policy, validated and with every rule compiled."""

    currency: str = Field(pattern=r"^[A-Z]{3}$")
    brand: Brand = Field(default_factory=Brand)
    templates_dir: Path | None = None
    segments: list[Segment] = Field(min_length=1)
    queues: list[Queue] = Field(min_length=1)
    limits: dict[str, Limits]
    resolutions: dict[str, list[ResolutionRule]] = Field(default_factory=dict)
    tone: dict[str, ToneRule] = Field(default_factory=dict)
    follow_ups: dict[str, list[FollowUpRule]] = Field(default_factory=dict)
    quiet_hours: QuietHours | None = None
    priority: Priority = Field(default_factory=Priority)
    escalation: Escalation = Field(default_factory=Escalation)
    signals: Signals = Field(default_factory=Signals)
    currency_rates: dict[CurrencyCode, Rate] = Field(default_factory=dict)
    desk: Desk = Field(default_factory=Desk)

    @field_validator("currency_rates")
    @classmethod
    def _no_rate_for_the_policy_currency(
        cls, rates: dict[str, Decimal], info: ValidationInfo
    ) -> dict[str, Decimal]:
        currency = info.data.get("currency")
        if currency in rates:
            raise ValueError(f"{currency} is the policy's currency (its rate is always 1): remove it")
        return rates

    def queue_for(self, segment: str) -> Queue:
        """The queue that routes `segment` (every segment has one once loaded)."""
        return next(q for q in self.queues if segment in q.segments)

    def queue_base(self, queue: Queue) -> int:
        """The queue's base priority; queues not listed rank by position (first is highest)."""
        if queue.name in self.priority.queue_base:
            return self.priority.queue_base[queue.name]
        return 10 * (len(self.queues) - self.queues.index(queue))

    def limits_for(self, segment: str) -> tuple[str, Limits]:
        """The limits key that applies to `segment` (its own, else `default`) and the limits."""
        key = segment if segment in self.limits else "default"
        return key, self.limits[key]

    def rules_for(self, intent: Intent) -> list[ResolutionRule]:
        """The ordered resolution rules of an intent (empty when the policy has none)."""
        return self.resolutions.get(intent.value, [])

    def tone_for(self, segment: str) -> tuple[str, ToneRule]:
        """The tone key that applies and the tone; `friendly` when the policy says nothing."""
        for key in (segment, "default"):
            if key in self.tone:
                return key, self.tone[key]
        return "built-in", ToneRule(style="friendly")

    def follow_ups_for(self, segment: str) -> tuple[str, list[FollowUpRule]]:
        """The follow-ups key that applies (segment's own, else `default`) and its list."""
        key = segment if segment in self.follow_ups else "default"
        return key, self.follow_ups.get(key, [])
