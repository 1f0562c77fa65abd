"""The merchant's limits: no offer ever exceeds them.

Order of checks: the order value for automatic handling, then the per-segment cap for the
offer's kind, then the rolling 90-day budget for that kind of money. Whatever cannot be granted
becomes `escalate` with `capped_by` naming the limit, so a person decides.

Two budgets, because they guard different things: goodwill (store credit, a waived fee) draws on
`credit_budget_90d`; refunds give the customer's own money back for a failed purchase, so they are
bounded by `max_refund` and only by `refund_budget_90d` when the merchant sets one. Both count
everything already granted (refunds and credits) in the 90 days before the ticket.

Limits, budgets and rule amounts are in the policy's currency. The granted amount is converted into
the order's currency at the end (`currency_rates`), and a refund never exceeds the order's value in its
own currency; an order in a currency the policy has no rate for escalates.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from rapport.domain.decision import MONEY_OFFERS, OfferKind, ResolutionOffer
from rapport.engine.currency import OrderMoney, convert_down, money, round_down
from rapport.policy.schema import Limits, Policy

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# A replacement or reship sends the order again: it is worth the order, bounded like a refund.
_GOODS_OFFERS = frozenset({OfferKind.REPLACEMENT, OfferKind.RESHIP})
_FREE_OFFERS = frozenset({OfferKind.APOLOGY_WITH_TRACKING, OfferKind.NONE, OfferKind.ESCALATE})
GOODWILL_OFFERS = frozenset({OfferKind.STORE_CREDIT, OfferKind.WAIVE_FEE})
# Money given back for the order itself: never more than the order is worth.
REFUND_OFFERS = frozenset({OfferKind.REFUND, OfferKind.PARTIAL_REFUND, OfferKind.RETURN_FOR_REFUND})


@dataclass(frozen=True, slots=True)
class Draft:
    """The offer a rule asks for, before the limits (amounts may be anything, even negative)."""

    kind: OfferKind
    rule: str
    amount: Decimal | None = None
    percent: Decimal | None = None
    shipping: str | None = None
    requires_return: bool = False
    reason: str | None = None
    error: str | None = None  # the amount or percent could not be computed


@dataclass(frozen=True, slots=True)
class _Context:
    currency: str  # the policy's: limits, budgets and draft amounts are in it
    key: str
    limits: Limits
    granted: Decimal
    order: OrderMoney | None  # the order in its own currency, when the ticket has one

    @property
    def offer_currency(self) -> str:
        """The offer speaks the order's currency when it can be converted, else the policy's."""
        if self.order is not None and self.order.rate is not None:
            return self.order.currency
        return self.currency


def apply_limits(
    draft: Draft,
    *,
    policy: Policy,
    segment: str,
    facts: dict[str, Any],
    granted: Decimal,
    order: OrderMoney | None = None,
) -> tuple[ResolutionOffer, list[str]]:
    """The offer as granted, never above `segment`'s limits, and the lines explaining any cap.

    `facts["order"]["total"]` is the order's value in the policy's currency; `order` is the order in its
    own currency (None: the offer is in the policy's currency)."""
    key, limits = policy.limits_for(segment)
    order_total = Decimal(str(facts["order"]["total"]))
    ctx = _Context(policy.currency, key, limits, granted, order)
    if draft.error is not None:
        return _escalate(draft, ctx, None, "a teammate will work out the right amount"), [
            f"Escalated: {draft.error}"
        ]
    if draft.kind in _FREE_OFFERS:
        return _offer(draft, ctx), []
    if order is not None and order.rate is None:
        limit = f"currency_rates.{order.currency}"
        note = (
            f"Escalated: the order is in {order.currency} and the policy's limits are in {ctx.currency}, "
            f"but currency_rates has no rate for {order.currency}"
        )
        return _escalate(draft, ctx, limit, f"a teammate will handle this {order.currency} order"), [note]
    ceiling = limits.max_order_value_for_auto
    if ceiling is not None and order_total > ceiling:
        limit = f"limits.{key}.max_order_value_for_auto"
        note = f"Escalated: order value {_money(order_total, ctx)} is above {_money(ceiling, ctx)} ({limit})"
        return _escalate(draft, ctx, limit, "a teammate will handle this order personally"), [note]
    if draft.kind in MONEY_OFFERS:
        return _cap_money(draft, ctx)
    if draft.kind is OfferKind.DISCOUNT_CODE:
        return _cap_percent(draft, ctx)
    if draft.kind in _GOODS_OFFERS and order_total > limits.max_refund:
        limit = f"limits.{key}.max_refund"
        note = f"Escalated: a {draft.kind.value} worth {_money(order_total, ctx)} is above {limit}"
        return _escalate(draft, ctx, limit, f"a teammate needs to approve the {draft.kind.value}"), [note]
    return _offer(draft, ctx), []


def budget_name(kind: OfferKind) -> str:
    """The limit that holds the rolling 90-day budget a money offer of this kind draws on."""
    return "credit_budget_90d" if kind in GOODWILL_OFFERS else "refund_budget_90d"


def remaining_budget(limits: Limits, granted: Decimal, kind: OfferKind) -> Decimal | None:
    """What is left of the kind's rolling 90-day budget (never negative); None when it has no budget."""
    budget: Decimal | None = getattr(limits, budget_name(kind))
    return None if budget is None else max(ZERO, budget - granted)


def _cap_money(draft: Draft, ctx: _Context) -> tuple[ResolutionOffer, list[str]]:
    amount = draft.amount if draft.amount is not None else ZERO
    if not amount.is_finite() or amount <= 0:
        note = f"Escalated: the rule's amount {amount} is not a positive sum of money"
        return _escalate(draft, ctx, None, "a teammate will work out the right amount"), [note]
    notes: list[str] = []
    capped_by: str | None = None
    limit_name = MONEY_OFFERS[draft.kind]
    limit: Decimal = getattr(ctx.limits, limit_name)
    if amount > limit:
        amount, capped_by = limit, f"limits.{ctx.key}.{limit_name}"
        notes.append(f"Capped at {_money(amount, ctx)} by {capped_by}")
    budget = remaining_budget(ctx.limits, ctx.granted, draft.kind)
    if budget is not None and amount > budget:
        amount, capped_by = budget, f"limits.{ctx.key}.{budget_name(draft.kind)}"
        notes.append(
            f"Capped at {_money(amount, ctx)} by {capped_by} "
            f"({_money(ctx.granted, ctx)} already granted in 90 days)"
        )
    amount, capped_by = _in_offer_currency(draft, ctx, amount, capped_by, notes)
    if amount <= 0:
        why = f"nothing left to grant under {capped_by}" if capped_by else "the amount rounds to nothing"
        notes.append(f"Escalated: {why}")
        return _escalate(draft, ctx, capped_by, f"a teammate needs to approve the {draft.kind.value}"), notes
    return _offer(draft, ctx, amount=amount, capped_by=capped_by), notes


def _in_offer_currency(
    draft: Draft, ctx: _Context, amount: Decimal, capped_by: str | None, notes: list[str]
) -> tuple[Decimal, str | None]:
    """The granted amount (policy currency, within the limits) in the offer's currency, rounded down,
    and never more than the order is worth for a refund."""
    amount = round_down(amount, ctx.currency)
    order = ctx.order
    if order is None or order.rate is None or amount <= 0:
        return amount, capped_by
    converted = convert_down(amount, order.rate, order.currency)
    if order.currency != ctx.currency:
        notes.append(
            f"Converted {_money(amount, ctx)} to {money(converted, order.currency)} "
            f"at 1 {order.currency} = {order.rate} {ctx.currency} (currency_rates.{order.currency})"
        )
    if draft.kind in REFUND_OFFERS and converted > order.total:
        converted, capped_by = round_down(order.total, order.currency), "order.total"
        notes.append(f"Capped at {money(converted, order.currency)}, the order's value")
    return converted, capped_by


def _cap_percent(draft: Draft, ctx: _Context) -> tuple[ResolutionOffer, list[str]]:
    limit = ctx.limits.max_discount_percent
    capped_by = f"limits.{ctx.key}.max_discount_percent"
    requested = draft.percent if draft.percent is not None else ZERO
    reason = "a teammate needs to approve a discount"
    if not requested.is_finite() or requested <= 0:
        note = f"Escalated: the rule's percent {requested} is not a positive discount"
        return _escalate(draft, ctx, None, reason), [note]
    # Clamp before quantizing: a computed 1e300 cannot be quantized, and 0.004 rounds to zero.
    percent = min(requested, limit).quantize(CENT, rounding=ROUND_DOWN)
    if percent <= 0:
        limited = requested > limit
        note = (
            f"Escalated: no discount allowed by {capped_by}"
            if limited
            else f"Escalated: the rule's percent {requested} is not a positive discount"
        )
        return _escalate(draft, ctx, capped_by if limited else None, reason), [note]
    if requested <= limit:
        return _offer(draft, ctx, percent=percent), []
    return _offer(draft, ctx, percent=percent, capped_by=capped_by), [f"Capped at {percent}% by {capped_by}"]


def _offer(
    draft: Draft,
    ctx: _Context,
    *,
    amount: Decimal | None = None,
    percent: Decimal | None = None,
    capped_by: str | None = None,
) -> ResolutionOffer:
    return ResolutionOffer(
        offer=draft.kind,
        currency=ctx.offer_currency,
        amount=amount,
        percent=percent,
        shipping=draft.shipping,
        requires_return=draft.requires_return,
        reason=draft.reason,
        capped_by=capped_by,
        rule=draft.rule,
    )


def _escalate(draft: Draft, ctx: _Context, capped_by: str | None, reason: str) -> ResolutionOffer:
    return ResolutionOffer(
        offer=OfferKind.ESCALATE,
        currency=ctx.offer_currency,
        reason=reason,
        capped_by=capped_by,
        rule=draft.rule,
    )


def _money(amount: Decimal, ctx: _Context) -> str:
    return money(amount, ctx.currency)
