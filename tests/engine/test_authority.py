"""Authority at grant time, checked against an oracle that shares no code with the rule.

`expected()` is a reference implementation of docs/policy.md ("desk", "Limits and the 90-day budgets",
"currency_rates") in exact rational arithmetic: it reads the limits and the senior multiple as the
merchant wrote them, the customer's raw 90-day history and the order in its own currency, and says
whether the grant is allowed, and if not, why (invalid, no rate, above the authority). Nothing from
`rapport` computes it. The `@example`s pin the boundaries (exactly the limit, one cent over, a budget spent
to the cent, the senior multiple's edge, an admin without and with a reason) and hostile values.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from rapport.domain import OfferKind
from rapport.domain.desk import Role
from rapport.engine.authority import GrantAsk, GrantedSoFar, Refusal, check_grant
from rapport.engine.currency import OrderMoney
from rapport.policy import Policy, policy_from_data

POLICY_CURRENCY = "USD"
RATES = {"EUR": "1.08", "JPY": "0.0067"}  # 1 EUR = 1.08 USD; CHF has no rate
WHOLE_UNITS = {"JPY"}
REFUNDS = {"refund", "partial_refund", "return_for_refund"}
GOODWILL = {"store_credit", "waive_fee"}
NO_MONEY = ["replacement", "reship", "exchange", "apology_with_tracking", "escalate", "free_shipping_upgrade"]
STORE_MAX = Fraction("9999999999.99")
LIMITS = {
    "max_refund": "100",
    "max_credit": "20",
    "max_discount_percent": "10",
    "credit_budget_90d": "50",
    "refund_budget_90d": "200",
}


@dataclass(frozen=True)
class Case:
    kind: str
    role: str
    amount: str | None = None  # as the person typed it
    percent: str | None = None
    currency: str = POLICY_CURRENCY
    reason: str | None = None
    refunds: str = "0"
    credits: str = "0"
    order: tuple[str, str] | None = None  # (total, currency)
    multiple: str = "2"
    limits: tuple[tuple[str, str], ...] = tuple(LIMITS.items())


def cents(value: Fraction) -> Fraction:
    """Rounded down to cents, as the policy reads limits."""
    return Fraction(value * 100 // 1, 100)


def up_to_cent(value: Fraction) -> Fraction:
    return Fraction(-((-value * 100) // 1), 100)


def rate_of(currency: str) -> Fraction | None:
    if currency == POLICY_CURRENCY:
        return Fraction(1)
    return Fraction(RATES[currency]) if currency in RATES else None


def is_number(text: str) -> bool:
    try:
        value = float(text)
    except ValueError:
        return False
    return value == value and value not in (float("inf"), float("-inf"))


def expected(case: Case) -> str:
    """ "allowed", or the refusal: "invalid", "no_rate", "above_authority" (docs/policy.md, "desk")."""
    lim = {k: cents(Fraction(v)) for k, v in case.limits}
    multiple = Fraction(case.multiple) if case.role != "agent" else Fraction(1)
    has_reason = case.role == "admin" and bool((case.reason or "").strip())
    if case.kind == "discount_code":
        return _expected_discount(case, lim, multiple, has_reason)
    if case.kind not in REFUNDS | GOODWILL:
        return "allowed" if case.amount is None and case.percent is None else "invalid"
    if case.percent is not None or case.amount is None or not is_number(case.amount):
        return "invalid"
    amount = Fraction(case.amount)
    unit = Fraction(1) if case.currency in WHOLE_UNITS else Fraction(1, 100)
    if amount <= 0 or amount > STORE_MAX or amount % unit != 0:
        return "invalid"
    rate = rate_of(case.currency)
    order_rate = None if case.order is None else rate_of(case.order[1])
    if rate is None or (case.order is not None and order_rate is None):
        return "no_rate"
    value = amount * rate
    if up_to_cent(value) > STORE_MAX:
        return "invalid"
    if case.order is not None and case.kind in REFUNDS:
        total, currency = Fraction(case.order[0]), case.order[1]
        assert order_rate is not None
        if (amount if currency == case.currency else value) > (
            total if currency == case.currency else total * order_rate
        ):
            return "above_authority"
    cap = lim["max_credit" if case.kind == "store_credit" else "max_refund"] * multiple
    budget_key = "credit_budget_90d" if case.kind in GOODWILL else "refund_budget_90d"
    granted = Fraction(case.refunds) + Fraction(case.credits)
    bound = cap
    if budget_key in lim:
        bound = min(bound, max(Fraction(0), lim[budget_key] * multiple - granted))
    if up_to_cent(value) <= bound or has_reason:
        return "allowed"
    return "above_authority"


def _expected_discount(case: Case, lim: dict[str, Fraction], multiple: Fraction, has_reason: bool) -> str:
    if case.amount is not None or case.percent is None or not is_number(case.percent):
        return "invalid"
    percent = Fraction(case.percent)
    if percent <= 0 or percent > 100 or percent * 100 % 1 != 0:
        return "invalid"
    if percent <= min(Fraction(100), lim["max_discount_percent"] * multiple) or has_reason:
        return "allowed"
    return "above_authority"


# --- the rule, asked the same question ---------------------------------------------------------------


def policy_for(case: Case) -> Policy:
    document: dict[str, Any] = {
        "currency": POLICY_CURRENCY,
        "currency_rates": {k: float(v) for k, v in RATES.items()},
        "segments": [{"name": "everyone"}],
        "queues": [{"name": "all", "segments": ["everyone"], "first_response": "4h"}],
        "limits": {"default": dict(case.limits)},
        "resolutions": {"damaged_item": [{"offer": "apology_with_tracking"}]},
        "desk": {"senior_multiple": case.multiple},
    }
    return policy_from_data(document, "test")


def verdict(case: Case) -> tuple[str, Any]:
    order = None
    if case.order is not None:
        rate = rate_of(case.order[1])
        order = OrderMoney(
            total=Decimal(case.order[0]),
            currency=case.order[1],
            rate=None if rate is None else Decimal(RATES.get(case.order[1], "1")),
        )
    check = check_grant(
        policy=policy_for(case),
        segment="everyone",
        role=Role(case.role),
        granted=GrantedSoFar(refunds=Decimal(case.refunds), credits=Decimal(case.credits)),
        order=order,
        ask=GrantAsk(
            offer=OfferKind(case.kind),
            currency=case.currency,
            amount=None if case.amount is None else Decimal(case.amount),
            percent=None if case.percent is None else Decimal(case.percent),
            reason=case.reason,
        ),
    )
    if check.allowed:
        assert check.refusal is None
        return "allowed", check
    assert check.reason, "a refusal says why"
    assert check.refusal is not None
    return check.refusal.value, check


hostile = st.sampled_from(["NaN", "Infinity", "-Infinity", "-5", "0", "1e27", "0.001", "-0.01", "sNaN"])
cents_text = st.integers(0, 40_000).map(lambda c: f"{c // 100}.{c % 100:02d}")


def sometimes(strategy: st.SearchStrategy[str | None], other: st.SearchStrategy[str | None]) -> Any:
    """Mostly (6 in 7) `strategy`, now and then `other` (a hostile or misplaced value)."""
    return st.integers(0, 6).flatmap(lambda n: other if n == 0 else strategy)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    kind = draw(st.sampled_from([*sorted(REFUNDS | GOODWILL)] * 3 + ["discount_code"] * 2 + NO_MONEY))
    order = draw(
        st.one_of(
            st.none(),
            st.tuples(
                st.integers(100, 80_000).map(lambda c: f"{c // 100}.{c % 100:02d}"),
                st.sampled_from(["USD", "USD", "EUR", "CHF"]),
            ),
        )
    )
    amount: str | None = None
    percent: str | None = None
    if kind in REFUNDS | GOODWILL:
        whole = draw(st.sampled_from([True, False]))
        valid = st.integers(1, 60_000).map(lambda c: f"{c // 100}.{c % 100:02d}")
        if whole:
            valid = st.integers(1, 60_000).map(str)
        amount = draw(sometimes(valid, st.one_of(hostile, st.none())))
        percent = draw(sometimes(st.none(), st.just("10")))
    elif kind == "discount_code":
        percent = draw(sometimes(st.integers(1, 10_100).map(lambda c: f"{c // 100}.{c % 100:02d}"), hostile))
        amount = draw(sometimes(st.none(), st.just("10.00")))
    else:
        amount = draw(sometimes(st.none(), st.just("10.00")))
    default_currency = order[1] if order is not None else POLICY_CURRENCY
    currency = draw(st.sampled_from([default_currency] * 4 + ["USD", "EUR", "JPY", "CHF"]))
    return Case(
        kind=kind,
        role=draw(st.sampled_from(["agent", "senior", "admin"])),
        amount=amount,
        percent=percent,
        currency=currency,
        reason=draw(st.sampled_from([None, None, "", "   ", "the parcel was lost twice; approved by phone"])),
        refunds=draw(cents_text),
        credits=draw(st.integers(0, 10_000).map(lambda c: f"{c // 100}.{c % 100:02d}")),
        order=order,
        multiple=draw(st.sampled_from(["1", "1.5", "2", "3"])),
    )


@settings(max_examples=400)
@given(case=cases())
# An agent: exactly the limit, one cent over; a budget spent to the cent; one cent left.
@example(case=Case("refund", "agent", amount="100.00"))
@example(case=Case("refund", "agent", amount="100.01"))
@example(case=Case("store_credit", "agent", amount="20.00", credits="30.00"))
@example(case=Case("store_credit", "agent", amount="20.01", credits="29.99"))
@example(case=Case("store_credit", "agent", amount="0.01", credits="50.00"))
@example(case=Case("store_credit", "agent", amount="0.01", credits="49.99"))
@example(case=Case("waive_fee", "agent", amount="5.00", refunds="45.01"))  # goodwill counts refunds too
@example(case=Case("refund", "agent", amount="1.00", refunds="150.00", credits="50.00"))
@example(case=Case("refund", "agent", amount="0.01", refunds="150.00", credits="49.99"))
# A senior: the multiple's boundary, the scaled budget.
@example(case=Case("refund", "senior", amount="200.00"))
@example(case=Case("refund", "senior", amount="200.01"))
@example(case=Case("refund", "senior", amount="150.00", multiple="1.5"))
@example(case=Case("refund", "senior", amount="150.01", multiple="1.5"))
@example(case=Case("store_credit", "senior", amount="40.00", credits="60.00"))
@example(case=Case("store_credit", "senior", amount="40.01", credits="60.00"))
@example(case=Case("discount_code", "senior", percent="20.00"))
@example(case=Case("discount_code", "senior", percent="20.01"))
@example(
    case=Case(
        "discount_code", "senior", percent="100", limits=(*LIMITS.items(), ("max_discount_percent", "60"))
    )
)
# An admin: up to the senior bound; above it only with a written reason.
@example(case=Case("refund", "admin", amount="200.00"))
@example(case=Case("refund", "admin", amount="200.01"))
@example(case=Case("refund", "admin", amount="200.01", reason="  "))
@example(case=Case("refund", "admin", amount="200.01", reason="promised by the owner"))
@example(case=Case("refund", "agent", amount="100.01", reason="an agent's reason changes nothing"))
@example(case=Case("discount_code", "admin", percent="100", reason="we broke it twice"))
@example(case=Case("discount_code", "admin", percent="100.01", reason="never above 100"))
# The order: never more than its value, in its own currency; no rate, no money.
@example(case=Case("refund", "admin", amount="64.01", order=("64.00", "USD"), reason="why not"))
@example(case=Case("refund", "agent", amount="64.00", order=("64.00", "USD")))
@example(case=Case("refund", "agent", amount="90.00", currency="EUR", order=("90.00", "EUR")))
@example(case=Case("refund", "agent", amount="92.60", currency="EUR", order=("100.00", "EUR")))  # 100.008 USD
@example(case=Case("refund", "agent", amount="92.59", currency="EUR", order=("100.00", "EUR")))  # 99.9972 USD
@example(case=Case("refund", "agent", amount="14925", currency="JPY"))  # 99.9975 USD, counted 100.00
@example(case=Case("refund", "agent", amount="14926", currency="JPY"))  # 100.0042 USD
@example(case=Case("refund", "agent", amount="100.5", currency="JPY"))
@example(case=Case("refund", "agent", amount="10.00", currency="CHF"))
@example(case=Case("refund", "agent", amount="10.00", order=("50.00", "CHF")))
@example(case=Case("store_credit", "agent", amount="10.00", order=("5.00", "USD")))  # goodwill: no order cap
@example(case=Case("reship", "agent", order=("50.00", "CHF")))
# Hostile values.
@example(case=Case("refund", "admin", amount="NaN", reason="x"))
@example(case=Case("refund", "admin", amount="sNaN", reason="x"))
@example(case=Case("refund", "admin", amount="Infinity", reason="x"))
@example(case=Case("refund", "admin", amount="-5", reason="x"))
@example(case=Case("refund", "admin", amount="1e27", reason="x"))
@example(case=Case("refund", "admin", amount="9999999999.99", reason="x"))
@example(case=Case("refund", "admin", amount="9999999999.99", currency="EUR", reason="x"))  # worth more
@example(case=Case("discount_code", "admin", percent="-1e27", reason="x"))
@example(case=Case("discount_code", "agent", percent="NaN"))
@example(case=Case("reship", "agent", amount="10.00"))
@example(case=Case("refund", "agent", percent="10"))
def test_the_rule_allows_exactly_what_the_policy_text_allows(case: Case) -> None:
    outcome, check = verdict(case)
    assert outcome == expected(case), check.reason


@settings(max_examples=300)
@given(case=cases())
def test_every_allowed_money_grant_is_within_the_role_bound_unless_an_admin_wrote_why(case: Case) -> None:
    outcome, check = verdict(case)
    if outcome != "allowed" or case.kind not in REFUNDS | GOODWILL:
        return
    counted = Fraction(check.amount_in_policy_currency)
    rate = rate_of(case.currency)
    assert rate is not None
    assert counted == up_to_cent(Fraction(case.amount) * rate)  # the ledger counts, rounded up
    if case.role == "admin" and (case.reason or "").strip():
        return
    assert check.bound is not None
    assert counted <= Fraction(check.bound)
    multiple = Fraction(1) if case.role == "agent" else Fraction(case.multiple)
    cap = (
        Fraction(dict(case.limits)["max_credit" if case.kind == "store_credit" else "max_refund"]) * multiple
    )
    assert counted <= cap


def test_a_refusal_names_the_limit_the_amount_asked_and_what_was_already_granted() -> None:
    _, check = verdict(Case("store_credit", "agent", amount="15.01", refunds="5.00", credits="30.00"))
    assert check.reason == (
        "an agent may grant at most 15.00 USD (limits.default.credit_budget_90d) "
        "(35.00 USD already granted in 90 days); a store_credit of 15.01 USD was asked"
    )
    assert (check.bound, check.bound_name) == (Decimal("15.00"), "limits.default.credit_budget_90d")


def test_a_senior_refusal_names_the_multiple() -> None:
    _, check = verdict(Case("refund", "senior", amount="200.01"))
    assert check.bound_name == "2 × limits.default.max_refund"
    assert check.bound == Decimal("200.00")


def test_money_for_an_order_without_a_rate_is_refused_with_the_missing_rate_named() -> None:
    outcome, check = verdict(Case("refund", "admin", amount="10.00", order=("50.00", "CHF"), reason="x"))
    assert outcome == Refusal.NO_RATE.value
    assert check.reason == (
        "money in CHF cannot be checked against the limits in USD: currency_rates has no rate for CHF"
    )
