"""Choosing the resolution: the first matching rule of the intent, then the limits."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from rapport.domain.decision import OfferKind, ResolutionOffer
from rapport.domain.ticket import Intent
from rapport.engine.currency import OrderMoney
from rapport.engine.explain import describe_facts
from rapport.engine.limits import Draft, apply_limits
from rapport.engine.rules import evaluate, matches
from rapport.policy.expressions import Expression
from rapport.policy.schema import Policy, ResolutionRule

# Refunds without an amount refund the order.
_DEFAULTS_TO_ORDER_TOTAL = frozenset({OfferKind.REFUND, OfferKind.RETURN_FOR_REFUND})


@dataclass(frozen=True, slots=True)
class Resolution:
    """The offer and the lines explaining how it was chosen and capped."""

    offer: ResolutionOffer
    explanation: tuple[str, ...]


def resolve(
    policy: Policy,
    intent: Intent,
    segment: str,
    facts: dict[str, Any],
    granted: Decimal,
    order: OrderMoney | None = None,
) -> Resolution:
    """The offer for a ticket: first rule of `intent` that holds, within `segment`'s limits.

    `granted` is what the customer already received in refunds and credits in 90 days; `order` is the
    ticket's order in its own currency (the offer is stated in it).
    """
    language = _unhandled_language(policy, facts, order)
    if language is not None:
        return language
    notes: list[str] = []
    for index, rule in enumerate(policy.rules_for(intent)):
        rule_id = f"resolutions.{intent.value}[{index}]"
        outcome = matches(rule.when, facts)
        if outcome.error is not None:
            notes.append(f"Rule {rule_id} could not be evaluated: {outcome.error}; treated as not matching")
            continue
        if outcome.value is True:
            draft = _draft(rule, rule_id, facts)
            notes.append(_chosen_line(draft, rule, facts, policy.currency))
            offer, limit_notes = apply_limits(
                draft, policy=policy, segment=segment, facts=facts, granted=granted, order=order
            )
            return Resolution(offer, (*notes, *limit_notes))
    currency = order.currency if order is not None and order.rate is not None else policy.currency
    no_rule = _no_rule(policy, currency)
    return Resolution(no_rule, (*notes, f"No resolution rule of {intent.value} matched"))


def _unhandled_language(policy: Policy, facts: dict[str, Any], order: OrderMoney | None) -> Resolution | None:
    """A message in a language the policy does not handle goes to a person (no rule is tried).

    An unknown language ("": too short to tell, or no detector installed) is not held back: the intent
    reader still sends a message it cannot read to a person."""
    language = facts["ticket"]["language"]
    allowed = policy.escalation.languages
    if not language or language in allowed:
        return None
    currency = order.currency if order is not None and order.rate is not None else policy.currency
    offer = ResolutionOffer(
        OfferKind.ESCALATE,
        currency,
        reason="a teammate will answer you personally",
        rule="escalation.languages",
    )
    note = f"Escalated: the message is in {language}; escalation.languages handles {', '.join(allowed)}"
    return Resolution(offer, (note,))


def _no_rule(policy: Policy, currency: str) -> ResolutionOffer:
    if policy.escalation.when_no_rule == "none":
        reason = "this request needs no resolution"
        return ResolutionOffer(OfferKind.NONE, currency, reason=reason, rule="escalation.when_no_rule")
    reason = "a teammate will look into this personally"
    return ResolutionOffer(OfferKind.ESCALATE, currency, reason=reason, rule="escalation.when_no_rule")


def _draft(rule: ResolutionRule, rule_id: str, facts: dict[str, Any]) -> Draft:
    amount_source = rule.amount
    missing: str | None = None
    if amount_source is None and rule.offer in _DEFAULTS_TO_ORDER_TOTAL:
        amount_source = Decimal(str(facts["order"]["total"]))
    if amount_source is None and rule.offer is OfferKind.WAIVE_FEE:
        # The fee is the amount the customer mentions; with none known a person finds it (never "up to
        # the limit": that would promise to waive a fee nobody has seen).
        mentioned = facts["ticket"]["amount_mentioned"]
        if mentioned > 0:
            amount_source = Decimal(repr(mentioned))
        else:
            missing = "the rule has no amount and the message names no fee (ticket.amount_mentioned)"
    amount, amount_error = _number(amount_source, facts)
    percent, percent_error = _number(rule.percent, facts)
    return Draft(
        kind=rule.offer,
        rule=rule_id,
        amount=amount,
        percent=percent,
        shipping=rule.shipping or _default_shipping(rule.offer),
        requires_return=bool(rule.requires_return) or rule.offer is OfferKind.RETURN_FOR_REFUND,
        reason=rule.reason,
        error=missing or amount_error or percent_error,
    )


def _default_shipping(kind: OfferKind) -> str | None:
    shipped = (OfferKind.REPLACEMENT, OfferKind.RESHIP, OfferKind.FREE_SHIPPING_UPGRADE)
    return "standard" if kind in shipped else None


def _number(source: Decimal | Expression | None, facts: dict[str, Any]) -> tuple[Decimal | None, str | None]:
    """A literal or computed amount; (None, why) when an expression gives no usable number."""
    if source is None or isinstance(source, Decimal):
        return source, None
    outcome = evaluate(source, facts)
    if outcome.error is not None:
        return None, f"{source.source} could not be computed: {outcome.error}"
    value = outcome.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, f"{source.source} gave {type(value).__name__}, not a number"
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, ValueError):
        return None, f"{source.source} gave {value!r}, not a number"
    if not number.is_finite():
        return None, f"{source.source} gave {value!r}, not a finite number"
    return number, None


def _chosen_line(draft: Draft, rule: ResolutionRule, facts: dict[str, Any], currency: str) -> str:
    what = draft.kind.value
    if draft.amount is not None:
        what += (
            f" {draft.amount:,.2f} {currency}"
            if abs(draft.amount) < 10**15
            else f" {draft.amount} {currency}"
        )
    if draft.percent is not None:
        what += f" {draft.percent}%"
    if rule.amount is None and draft.kind is OfferKind.WAIVE_FEE and draft.amount is not None:
        what += " (the fee the message names: ticket.amount_mentioned)"
    if rule.when is None:
        return f"Offer {what} by {draft.rule} (always)"
    return f"Offer {what} by {draft.rule}: {rule.when.source}{describe_facts(rule.when, facts, currency)}"
