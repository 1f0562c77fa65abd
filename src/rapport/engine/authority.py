"""Authority at grant time: what a person may give a customer, checked at the moment it is given.

The offer-time limits (`engine.limits`) clamp what the engine proposes; a person may change the offer, so
the grant is checked again, with the customer's 90-day history as it stands now (imported contacts and
the desk's ledger). The bounds, all in the policy's currency (docs/policy.md, "desk"):

- an **agent** may grant up to the segment's limits: the kind's cap (`max_refund`, `max_credit`,
  `max_discount_percent`) and what is left of the kind's 90-day budget (goodwill — store credit, a waived
  fee — on `credit_budget_90d`, refunds on `refund_budget_90d` when set; granted = refunds + credits);
- a **senior** up to `desk.senior_multiple` times each cap and each budget (a discount never above 100 %);
- an **admin** up to the senior bound, and above it only with a written reason.

Whoever grants, a refund never exceeds the order's value in its own currency, and money for an order in
a currency the policy has no rate for cannot be checked, so it is refused. The checks the engine makes for
automatic handling only (`max_order_value_for_auto`, the value of a replacement) do not apply: here a
person decides. Offers that move no money are allowed and recorded without amounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_UP, Decimal, localcontext
from enum import StrEnum

from rapport.domain.decision import MONEY_OFFERS, OfferKind
from rapport.domain.desk import Role
from rapport.domain.limits_of_store import CURRENCY, MONEY_MAX
from rapport.engine.currency import CENT, ONE, OrderMoney, money, smallest_unit
from rapport.engine.limits import REFUND_OFFERS, budget_name
from rapport.policy.schema import Policy

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
_EXACT = 80  # digits: amount (12) times a rate (up to 19) never rounds


class Refusal(StrEnum):
    """Why a grant was refused: the request is no grant at all, or it is above what may be granted."""

    INVALID = "invalid"  # NaN, negative, too many decimals, an amount on a reship...
    ABOVE_AUTHORITY = "above_authority"  # above the role's bound, a budget or the order's value
    NO_RATE = "no_rate"  # money in (or for an order in) a currency without a rate


@dataclass(frozen=True, slots=True)
class GrantedSoFar:
    """What the customer was granted in the 90 days before now, in the policy's currency."""

    refunds: Decimal = ZERO
    credits: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.refunds + self.credits


@dataclass(frozen=True, slots=True)
class GrantAsk:
    """The grant a person asks for: amounts in `currency` (already resolved: the order's or the policy's)."""

    offer: OfferKind
    currency: str
    amount: Decimal | None = None
    percent: Decimal | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class AuthorityCheck:
    """The verdict: allowed or refused, a sentence saying why, and the bound that applied.

    `bound` is in the policy's currency for money (a percent for a discount); None when nothing bounded
    the grant (an offer without money, an admin's reasoned grant above the senior bound)."""

    allowed: bool
    reason: str
    bound: Decimal | None = None
    bound_name: str | None = None
    amount_in_policy_currency: Decimal | None = None
    refusal: Refusal | None = None


@dataclass(frozen=True, slots=True)
class GrantRecord:
    """One line of the grant ledger, as the desk shows it. `replayed`: an idempotent retry returned it."""

    id: int
    ticket_id: int | None
    offer: OfferKind
    amount: Decimal | None
    percent: Decimal | None
    currency: str
    amount_in_policy_currency: Decimal | None
    role: Role
    granted_by: str
    reason: str | None
    created_at: datetime
    replayed: bool = False
    email: str = ""
    order_id: int | None = None
    granted_by_user_id: int | None = None


@dataclass(frozen=True, slots=True)
class GrantEntry:
    """A grant to append to the ledger (already checked)."""

    email: str
    customer_id: int | None
    ticket_id: int | None
    order_id: int | None
    offer: OfferKind
    amount: Decimal | None
    percent: Decimal | None
    currency: str
    amount_in_policy_currency: Decimal | None
    granted_by_user_id: int | None
    granted_by_label: str
    role: Role
    reason: str | None
    idempotency_key: str | None
    created_at: datetime


def check_grant(
    *,
    policy: Policy,
    segment: str,
    role: Role,
    granted: GrantedSoFar,
    order: OrderMoney | None,
    ask: GrantAsk,
) -> AuthorityCheck:
    """Whether `role` may grant `ask` to a customer of `segment` who was already `granted` this much."""
    if ask.offer in MONEY_OFFERS:
        return _check_money(policy, segment, role, granted, order, ask)
    if ask.offer is OfferKind.DISCOUNT_CODE:
        return _check_percent(policy, segment, role, ask)
    if ask.amount is not None or ask.percent is not None:
        return _invalid(f"a {ask.offer.value} moves no money: it is granted without an amount or percent")
    return AuthorityCheck(allowed=True, reason=f"a {ask.offer.value} moves no money")


def _check_money(
    policy: Policy, segment: str, role: Role, granted: GrantedSoFar, order: OrderMoney | None, ask: GrantAsk
) -> AuthorityCheck:
    kind = ask.offer.value
    if ask.percent is not None:
        return _invalid(f"a {kind} is an amount of money, not a percent")
    problem = _money_problem(ask.amount, ask.currency, kind)
    if problem is not None:
        return _invalid(problem)
    assert ask.amount is not None  # _money_problem refuses a missing amount
    rate = ONE if ask.currency == policy.currency else policy.currency_rates.get(ask.currency)
    if rate is None:
        return _no_rate(ask.currency, policy.currency)
    if order is not None and order.rate is None:
        return _no_rate(order.currency, policy.currency)
    with localcontext() as exact:
        exact.prec = _EXACT
        value = ask.amount * rate  # exact: what the grant is worth in the policy's currency
        # Rounded up to the cent: the ledger never counts less than was given.
        counted = value.quantize(CENT, rounding=ROUND_UP)
        if counted > MONEY_MAX:
            return _invalid(f"{money(ask.amount, ask.currency)} is more than the ledger can hold")
        if order is not None and ask.offer in REFUND_OFFERS and not _within_order(ask, value, order):
            return _refused(
                f"a {kind} of {money(ask.amount, ask.currency)} is more than the order's value "
                f"{money(order.total, order.currency)}",
                order.total,
                "order.total",
                counted,
            )
        return _within_role(policy, segment, role, granted, ask, counted)


def _within_order(ask: GrantAsk, value: Decimal, order: OrderMoney) -> bool:
    if ask.currency == order.currency:
        return ask.amount is not None and ask.amount <= order.total
    assert order.rate is not None
    return value <= order.total * order.rate


def _within_role(
    policy: Policy, segment: str, role: Role, granted: GrantedSoFar, ask: GrantAsk, counted: Decimal
) -> AuthorityCheck:
    key, limits = policy.limits_for(segment)
    multiple = _multiple(policy, role)
    cap_field = MONEY_OFFERS[ask.offer]
    bound: Decimal = getattr(limits, cap_field) * multiple
    name = _scaled(f"limits.{key}.{cap_field}", multiple)
    budget_field = budget_name(ask.offer)
    budget: Decimal | None = getattr(limits, budget_field)
    left: Decimal | None = None
    if budget is not None:
        left = max(ZERO, budget * multiple - granted.total)
        if left < bound:
            bound, name = left, _scaled(f"limits.{key}.{budget_field}", multiple)
    currency = policy.currency
    asked = f"{ask.offer.value} of {money(counted, currency)}"
    already = f" ({money(granted.total, currency)} already granted in 90 days)" if left is not None else ""
    if counted <= bound:
        return AuthorityCheck(
            allowed=True,
            reason=f"a {asked} is within {money(bound, currency)} ({name}){already}",
            bound=bound,
            bound_name=name,
            amount_in_policy_currency=counted,
        )
    if role is Role.ADMIN and (ask.reason or "").strip():
        return AuthorityCheck(
            allowed=True,
            reason=(
                f"a {asked} is above the senior bound of {money(bound, currency)} ({name}){already}; "
                f"granted by an admin with a written reason"
            ),
            amount_in_policy_currency=counted,
        )
    who = _who(role)
    sentence = f"{who} may grant at most {money(bound, currency)} ({name}){already}; a {asked} was asked"
    if role is Role.ADMIN:
        sentence += ": above the senior bound an admin must write a reason"
    return _refused(sentence, bound, name, counted)


def _check_percent(policy: Policy, segment: str, role: Role, ask: GrantAsk) -> AuthorityCheck:
    percent = ask.percent
    if ask.amount is not None:
        return _invalid("a discount_code is a percent, not an amount of money")
    if percent is None or not percent.is_finite() or percent <= 0 or percent > HUNDRED:
        return _invalid(f"the discount {percent}% is not a percent between 0 and 100")
    if percent != percent.quantize(CENT):
        return _invalid(f"the discount {percent}% has more than two decimals")
    key, limits = policy.limits_for(segment)
    multiple = _multiple(policy, role)
    bound = min(HUNDRED, limits.max_discount_percent * multiple)
    name = _scaled(f"limits.{key}.max_discount_percent", multiple)
    if percent <= bound:
        return AuthorityCheck(
            allowed=True,
            reason=f"a {percent}% discount is within {bound}% ({name})",
            bound=bound,
            bound_name=name,
        )
    if role is Role.ADMIN and (ask.reason or "").strip():
        return AuthorityCheck(
            allowed=True,
            reason=f"a {percent}% discount is above the senior bound of {bound}% ({name}); "
            "granted by an admin with a written reason",
        )
    sentence = f"{_who(role)} may grant at most a {bound}% discount ({name}); {percent}% was asked"
    if role is Role.ADMIN:
        sentence += ": above the senior bound an admin must write a reason"
    return _refused(sentence, bound, name, None)


def _money_problem(amount: Decimal | None, currency: str, kind: str) -> str | None:
    if not CURRENCY.fullmatch(currency):
        return f"{currency!r} is not a currency code (three capital letters)"
    if amount is None:
        return f"a {kind} needs an amount"
    if not amount.is_finite() or amount <= 0:
        return f"the amount {amount} is not a positive sum of money"
    if amount > MONEY_MAX:
        return f"the amount {amount} is more than the ledger can hold"
    if amount != amount.quantize(smallest_unit(currency)):
        return f"the amount {amount} has more decimals than {currency} has"
    return None


def _multiple(policy: Policy, role: Role) -> Decimal:
    return ONE if role is Role.AGENT else policy.desk.senior_multiple


def _scaled(name: str, multiple: Decimal) -> str:
    return name if multiple == ONE else f"{multiple} × {name}"


def _who(role: Role) -> str:
    return {Role.AGENT: "an agent", Role.SENIOR: "a senior", Role.ADMIN: "without a reason, an admin"}[role]


def _no_rate(currency: str, policy_currency: str) -> AuthorityCheck:
    return AuthorityCheck(
        allowed=False,
        reason=(
            f"money in {currency} cannot be checked against the limits in {policy_currency}: "
            f"currency_rates has no rate for {currency}"
        ),
        bound_name=f"currency_rates.{currency}",
        refusal=Refusal.NO_RATE,
    )


def _invalid(reason: str) -> AuthorityCheck:
    return AuthorityCheck(allowed=False, reason=reason, refusal=Refusal.INVALID)


def _refused(reason: str, bound: Decimal, name: str, counted: Decimal | None) -> AuthorityCheck:
    return AuthorityCheck(
        allowed=False,
        reason=reason,
        bound=bound,
        bound_name=name,
        amount_in_policy_currency=counted,
        refusal=Refusal.ABOVE_AUTHORITY,
    )
