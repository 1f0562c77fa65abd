"""The limits, checked against an oracle that shares no code with the engine.

`expected()` below is a reference implementation of docs/policy.md, "Limits and the 90-day budgets" and
"currency_rates", written from the document with exact rational arithmetic (`fractions.Fraction`):
it reads the limits as the merchant wrote them (not the parsed `Policy`), the customer's raw history
(refunds and credits in 90 days) and the order in its own currency, and says exactly what the decision
must offer: the kind, the amount (in the order's currency), the percent, the currency and `capped_by`.
Nothing from `rapport` is used to compute it. The engine must agree on every generated case; the
`@example`s pin the boundaries (a limit met exactly, one cent over and under, a budget spent to the
cent, one cent left) and hostile values (huge, negative, NaN, infinite, -1e27).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from engine_builders import NOW, a_customer, a_ticket, an_order
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rapport.domain import Intent, OfferKind
from rapport.engine import decide
from rapport.engine.limits import Draft, apply_limits
from rapport.policy import Policy, policy_from_data

POLICY_CURRENCY = "USD"
RATES = {"EUR": "1.08", "JPY": "0.0067", "GBP": "1.27"}  # 1 EUR = 1.08 USD, ...; CHF has no rate
ORDER_CURRENCIES = ["USD", "EUR", "JPY", "GBP", "CHF"]
WHOLE_UNITS = {"JPY"}  # currencies without cents (ISO 4217 exponent 0)

REFUNDS = {"refund", "partial_refund", "return_for_refund"}
GOODWILL = {"store_credit", "waive_fee"}
MONEY = REFUNDS | GOODWILL
DEFAULTS_TO_ORDER_TOTAL = {"refund", "return_for_refund"}
FREE = {"apology_with_tracking", "none", "escalate"}
GOODS = {"replacement", "reship"}
OTHER = {"exchange", "free_shipping_upgrade"}
SHIPPED = {"replacement", "reship", "free_shipping_upgrade"}
ALL_KINDS = sorted(MONEY | FREE | GOODS | OTHER | {"discount_code"})


def unit_of(currency: str) -> Fraction:
    return Fraction(1) if currency in WHOLE_UNITS else Fraction(1, 100)


def floor_to(value: Fraction, unit: Fraction) -> Fraction:
    return (value // unit) * unit


def as_written(text: str) -> Fraction:
    """A limit as the merchant wrote it, rounded down to cents (docs: 'rounded down to cents')."""
    return floor_to(Fraction(text), Fraction(1, 100))


@dataclass(frozen=True)
class Case:
    kind: str
    source: str | None  # the rule's amount (or percent) as a CEL expression; None = the default
    limits: dict[str, str]
    refunds: str = "0"
    credits: str = "0"
    order: tuple[str, str] | None = None  # (total, currency)


@dataclass(frozen=True)
class Expected:
    offer: str
    amount: Fraction | None = None
    percent: Fraction | None = None
    currency: str = POLICY_CURRENCY
    capped_by: str | None = field(default=None)


def cel_double(value: float) -> Fraction | None:
    """A CEL double as the decimal it prints as; None when it is not a finite number."""
    return Fraction(repr(value)) if math.isfinite(value) else None


def evaluate_source(source: str, order_total_fact: float) -> float:
    """The few expressions the cases use: a number literal, order.total, order.total * 2.0, x / y."""
    if source == "order.total":
        return order_total_fact
    if source == "order.total * 2.0":
        return order_total_fact * 2.0
    if "/" in source:
        top, bottom = (float(part) for part in source.split("/"))
        return top / bottom if bottom else (math.nan if top == 0 else math.copysign(math.inf, top))
    return float(source)


def expected(case: Case) -> Expected:
    """What docs/policy.md says the decision offers for this case."""
    lim = case.limits
    granted = max(Fraction(case.refunds), Fraction(0)) + max(Fraction(case.credits), Fraction(0))
    order_currency = case.order[1] if case.order else None
    order_total = Fraction(case.order[0]) if case.order else Fraction(0)
    rate: Fraction | None = None
    if order_currency is not None:
        rate = (
            Fraction(1)
            if order_currency == POLICY_CURRENCY
            else (Fraction(RATES[order_currency]) if order_currency in RATES else None)
        )
    currency = order_currency if order_currency is not None and rate is not None else POLICY_CURRENCY
    # order.total, as rules read it: a double, in the policy's currency.
    total_fact = float(order_total * rate) if rate is not None else float(order_total)
    value_in_policy_currency = Fraction(repr(total_fact)) if case.order else Fraction(0)

    def escalate(capped_by: str | None = None) -> Expected:
        return Expected("escalate", currency=currency, capped_by=capped_by)

    source = case.source
    if source is None and case.kind in DEFAULTS_TO_ORDER_TOTAL:
        source = "order.total"
    requested = None if source is None else cel_double(evaluate_source(source, total_fact))
    if source is not None and requested is None:
        return escalate()  # an amount that is not a finite number
    if case.kind in FREE:
        return Expected(case.kind, currency=currency)
    if case.order is not None and rate is None:
        return escalate(f"currency_rates.{order_currency}")
    ceiling = lim.get("max_order_value_for_auto")
    if ceiling is not None and value_in_policy_currency > as_written(ceiling):
        return escalate("limits.default.max_order_value_for_auto")
    if case.kind in MONEY:
        return _expected_money(case, requested, granted, rate, currency, order_total)
    if case.kind == "discount_code":
        return _expected_discount(requested, as_written(lim["max_discount_percent"]), currency)
    if case.kind in GOODS and value_in_policy_currency > as_written(lim["max_refund"]):
        return escalate("limits.default.max_refund")
    return Expected(case.kind, currency=currency)


def _expected_money(
    case: Case,
    requested: Fraction | None,
    granted: Fraction,
    rate: Fraction | None,
    currency: str,
    order_total: Fraction,
) -> Expected:
    lim = case.limits
    if requested is None or requested <= 0:
        return Expected("escalate", currency=currency)
    cap_name = "max_credit" if case.kind == "store_credit" else "max_refund"
    budget_name = "credit_budget_90d" if case.kind in GOODWILL else "refund_budget_90d"
    amount, capped_by = requested, None
    if amount > as_written(lim[cap_name]):
        amount, capped_by = as_written(lim[cap_name]), f"limits.default.{cap_name}"
    if budget_name in lim:
        left = max(Fraction(0), as_written(lim[budget_name]) - granted)
        if amount > left:
            amount, capped_by = left, f"limits.default.{budget_name}"
    amount = floor_to(amount, unit_of(POLICY_CURRENCY))
    if amount > 0 and rate is not None:
        # The most the order's currency can give without being worth more than `amount`.
        amount = floor_to(amount / rate, unit_of(currency))
        if case.kind in REFUNDS and amount > order_total:
            amount, capped_by = floor_to(order_total, unit_of(currency)), "order.total"
    if amount <= 0:
        return Expected("escalate", currency=currency, capped_by=capped_by)
    return Expected(case.kind, amount=amount, currency=currency, capped_by=capped_by)


def _expected_discount(requested: Fraction | None, limit: Fraction, currency: str) -> Expected:
    name = "limits.default.max_discount_percent"
    if requested is None or requested <= 0:
        return Expected("escalate", currency=currency)
    percent = floor_to(min(requested, limit), Fraction(1, 100))
    if percent <= 0:
        return Expected("escalate", currency=currency, capped_by=name if requested > limit else None)
    return Expected(
        "discount_code", percent=percent, currency=currency, capped_by=name if requested > limit else None
    )


# --- the engine, asked the same question ------------------------------------------------------------


def policy_for(case: Case) -> Policy:
    rule: dict[str, Any] = {"offer": case.kind}
    if case.source is not None:
        rule["percent" if case.kind == "discount_code" else "amount"] = case.source
    elif case.kind in MONEY - DEFAULTS_TO_ORDER_TOTAL:
        rule["amount"] = "0.0"
    if case.kind == "discount_code" and case.source is None:
        rule["percent"] = "0.0"
    if case.kind == "none":
        rule["reason"] = "not this time"
    document = {
        "currency": POLICY_CURRENCY,
        "segments": [{"name": "everyone"}],
        "queues": [{"name": "all", "segments": ["everyone"], "first_response": "4h"}],
        "limits": {"default": dict(case.limits)},
        "resolutions": {"damaged_item": [rule]},
        "currency_rates": dict(RATES),
    }
    return policy_from_data(document, "oracle")


def actual(case: Case) -> Expected:
    order = None
    if case.order is not None:
        order = an_order(total=case.order[0], currency=case.order[1])
    customer = a_customer(refunds_last_90d=Decimal(case.refunds), credits_last_90d=Decimal(case.credits))
    offer = decide(a_ticket(Intent.DAMAGED_ITEM, order=order), customer, policy_for(case), NOW).resolution
    return Expected(
        offer.offer.value,
        amount=None if offer.amount is None else Fraction(offer.amount),
        percent=None if offer.percent is None else Fraction(offer.percent),
        currency=offer.currency,
        capped_by=offer.capped_by,
    )


# --- cases ---------------------------------------------------------------------------------------

HOSTILE_SOURCES = [
    "-5.0",
    "-1e+27",
    "1e+27",
    "1e+300",
    "0.004",
    "0.0/0.0",  # NaN
    "1.0/0.0",  # infinity
    "-1.0/0.0",
    "5e-324",
    "order.total",
    "order.total * 2.0",
]
money_text = st.decimals(min_value=0, max_value=10**6, places=3).map(str)
small_money = st.decimals(min_value=0, max_value=600, places=2).map(str)


@st.composite
def limit_entries(draw: st.DrawFn) -> dict[str, str]:
    pick = st.one_of(st.just("0"), small_money, money_text)
    entry = {
        "max_refund": draw(pick),
        "max_credit": draw(pick),
        "max_discount_percent": draw(st.decimals(min_value=0, max_value=100, places=3).map(str)),
        "credit_budget_90d": draw(pick),
    }
    if draw(st.booleans()):
        entry["refund_budget_90d"] = draw(pick)
    if draw(st.booleans()):
        entry["max_order_value_for_auto"] = draw(pick)
    return entry


@st.composite
def cases(draw: st.DrawFn) -> Case:
    kind = draw(st.sampled_from(ALL_KINDS))
    source: str | None = None
    if kind in MONEY or kind == "discount_code":
        numbers = st.decimals(min_value=-50, max_value=2000, places=3).map(lambda d: repr(float(d)))
        source = draw(st.one_of(numbers, st.sampled_from(HOSTILE_SOURCES)))
        if kind in DEFAULTS_TO_ORDER_TOTAL and draw(st.booleans()):
            source = None
    order = None
    if draw(st.integers(0, 3)):
        currency = draw(st.sampled_from(ORDER_CURRENCIES))
        places = 0 if currency in WHOLE_UNITS else 2
        top = 10**6 if currency in WHOLE_UNITS else 10**4
        order = (str(draw(st.decimals(min_value=0, max_value=top, places=places))), currency)
    history = st.one_of(small_money, st.decimals(min_value=-50, max_value=10**4, places=2).map(str))
    return Case(kind, source, draw(limit_entries()), draw(history), draw(history), order)


BASE = {"max_refund": "100", "max_credit": "20", "max_discount_percent": "10", "credit_budget_90d": "50"}
WITH_REFUND_BUDGET = {**BASE, "refund_budget_90d": "200"}
USD_ORDER = ("640.00", "USD")


@settings(max_examples=max(600, settings.default.max_examples), deadline=None)
@given(case=cases())
# A limit met exactly, one cent under, one cent over (the off-by-one `amount > limit + 1`).
@example(case=Case("partial_refund", "100.0", BASE, order=USD_ORDER))
@example(case=Case("partial_refund", "99.99", BASE, order=USD_ORDER))
@example(case=Case("partial_refund", "100.01", BASE, order=USD_ORDER))
@example(case=Case("store_credit", "20.01", BASE))
@example(case=Case("store_credit", "20.5", BASE))
# The budget spent to the cent (past refunds count against goodwill), and one cent left.
@example(case=Case("store_credit", "15.0", BASE, refunds="20.00", credits="30.00"))
@example(case=Case("store_credit", "15.0", BASE, refunds="20.00", credits="29.99"))
@example(case=Case("refund", None, WITH_REFUND_BUDGET, refunds="0", credits="150.00", order=("64.00", "USD")))
@example(case=Case("refund", None, WITH_REFUND_BUDGET, refunds="199.99", order=("64.00", "USD")))
@example(case=Case("refund", None, WITH_REFUND_BUDGET, refunds="200.00", order=("64.00", "USD")))
@example(case=Case("waive_fee", "12.5", BASE, credits="45.00"))
@example(case=Case("store_credit", "5.0", BASE, refunds="-500.00", credits="48.00"))
# Hostile amounts and percents.
@example(case=Case("discount_code", "-1e+27", BASE))
@example(case=Case("discount_code", "-1e+28", BASE))
@example(case=Case("discount_code", "1e+300", BASE))
@example(case=Case("discount_code", "0.0/0.0", BASE))
@example(case=Case("discount_code", "1.0/0.0", BASE))
@example(case=Case("discount_code", "0.004", BASE))
@example(case=Case("discount_code", "10.0", BASE))
@example(case=Case("discount_code", "10.01", BASE))
@example(case=Case("discount_code", "7.019", BASE))  # rounded down: 7.01, not 7.02
@example(case=Case("store_credit", "7.019", BASE))
@example(case=Case("discount_code", "50.0", {**BASE, "max_discount_percent": "0"}))
@example(case=Case("refund", "-1e+27", BASE, order=USD_ORDER))
@example(case=Case("refund", "1e+300", BASE, order=USD_ORDER))
@example(case=Case("refund", "0.0/0.0", BASE, order=USD_ORDER))
@example(case=Case("store_credit", "-1.0/0.0", BASE))
@example(case=Case("store_credit", "0.004", BASE))
@example(case=Case("refund", None, BASE))  # a refund without an order has nothing to refund
# Orders in other currencies: converted limits, whole yen, no rate, never more than the order.
@example(case=Case("refund", None, BASE, order=("90.00", "EUR")))
@example(case=Case("refund", None, BASE, order=("9000", "JPY")))
@example(case=Case("refund", None, WITH_REFUND_BUDGET, order=("200", "JPY")))
@example(case=Case("refund", "order.total * 2.0", {**BASE, "max_refund": "500"}, order=("90.00", "EUR")))
@example(case=Case("refund", None, BASE, order=("90.00", "CHF")))
@example(case=Case("store_credit", "15.0", BASE, order=("9000", "JPY")))
@example(case=Case("replacement", None, BASE, order=("92.59", "EUR")))
@example(case=Case("replacement", None, BASE, order=("92.60", "EUR")))
@example(case=Case("exchange", None, BASE, order=("1", "CHF")))
@example(case=Case("apology_with_tracking", None, BASE, order=("1", "CHF")))
# The automatic-handling ceiling: met exactly is fine, a cent above escalates.
@example(case=Case("reship", None, {**BASE, "max_order_value_for_auto": "50"}, order=("50.00", "USD")))
@example(case=Case("reship", None, {**BASE, "max_order_value_for_auto": "50"}, order=("50.01", "USD")))
@example(case=Case("discount_code", "5.0", {**BASE, "max_order_value_for_auto": "50"}, order=("47", "EUR")))
def test_the_engine_offers_exactly_what_the_policy_document_allows(case: Case) -> None:
    assert actual(case) == expected(case)


# --- the limits step alone, with drafts no policy file can produce ------------------------------------

POLICY = policy_from_data(
    {
        "currency": POLICY_CURRENCY,
        "segments": [{"name": "everyone"}],
        "queues": [{"name": "all", "segments": ["everyone"], "first_response": "4h"}],
        "limits": {"default": BASE},
    },
    "oracle",
)
NO_ORDER = {"total": 0.0}
NOT_NUMBERS = [
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("Infinity"),
    Decimal("-Infinity"),
    Decimal("-1e27"),
    Decimal("-1e999999"),
    Decimal("1e999999"),
    Decimal("-0"),
    Decimal("0E-30"),
]


@pytest.mark.parametrize("value", NOT_NUMBERS, ids=str)
@pytest.mark.parametrize("kind", [OfferKind.STORE_CREDIT, OfferKind.REFUND, OfferKind.DISCOUNT_CODE])
def test_a_draft_that_is_not_a_usable_number_escalates_instead_of_crashing(
    kind: OfferKind, value: Decimal
) -> None:
    is_discount = kind is OfferKind.DISCOUNT_CODE
    draft = Draft(
        kind=kind, rule="r", amount=None if is_discount else value, percent=value if is_discount else None
    )
    offer, notes = apply_limits(
        draft, policy=POLICY, segment="everyone", facts={"order": NO_ORDER}, granted=Decimal(0)
    )
    if value.is_finite() and value > 0:  # a huge number: granted at the limit
        limit = {
            OfferKind.STORE_CREDIT: "20.00",
            OfferKind.REFUND: "100.00",
            OfferKind.DISCOUNT_CODE: "10.00",
        }
        assert (offer.offer, offer.percent if is_discount else offer.amount) == (kind, Decimal(limit[kind]))
        assert offer.capped_by is not None
    else:
        assert (offer.offer, offer.amount, offer.percent) == (OfferKind.ESCALATE, None, None)
        assert notes[-1].startswith("Escalated: ")


@pytest.mark.parametrize("kind", [OfferKind.STORE_CREDIT, OfferKind.PARTIAL_REFUND, OfferKind.DISCOUNT_CODE])
def test_a_draft_without_its_amount_or_percent_escalates(kind: OfferKind) -> None:
    offer, notes = apply_limits(
        Draft(kind=kind, rule="r"),
        policy=POLICY,
        segment="everyone",
        facts={"order": NO_ORDER},
        granted=Decimal(0),
    )
    assert (offer.offer, offer.capped_by, offer.rule) == (OfferKind.ESCALATE, None, "r")
    assert notes[-1].endswith(
        "is not a positive discount" if kind is OfferKind.DISCOUNT_CODE else "is not a positive sum of money"
    )


@pytest.mark.parametrize(
    ("kind", "amount", "percent"),
    [
        (OfferKind.REPLACEMENT, None, None),
        (OfferKind.EXCHANGE, None, None),
        (OfferKind.NONE, None, None),
        (OfferKind.PARTIAL_REFUND, Decimal("5"), None),
        (OfferKind.DISCOUNT_CODE, None, Decimal("5")),
    ],
)
def test_the_granted_offer_keeps_the_rule_s_shipping_return_reason_and_name(
    kind: OfferKind, amount: Decimal | None, percent: Decimal | None
) -> None:
    draft = Draft(
        kind=kind,
        rule="resolutions.damaged_item[3]",
        amount=amount,
        percent=percent,
        shipping="overnight",
        requires_return=True,
        reason="as promised",
    )
    offer, _ = apply_limits(
        draft, policy=POLICY, segment="everyone", facts={"order": NO_ORDER}, granted=Decimal(0)
    )
    assert (offer.offer, offer.shipping, offer.requires_return, offer.reason, offer.rule) == (
        kind,
        "overnight",
        True,
        "as promised",
        "resolutions.damaged_item[3]",
    )


def test_an_escalation_keeps_the_name_of_the_rule_that_asked() -> None:
    draft = Draft(kind=OfferKind.STORE_CREDIT, rule="resolutions.damaged_item[2]", amount=Decimal("-1"))
    offer, _ = apply_limits(
        draft, policy=POLICY, segment="everyone", facts={"order": NO_ORDER}, granted=Decimal(0)
    )
    assert (offer.offer, offer.rule) == (OfferKind.ESCALATE, "resolutions.damaged_item[2]")
