"""Orders in another currency than the policy's: limits converted with `currency_rates`, the offer in the
order's currency, never above the order's value; no rate, no automatic offer."""

from __future__ import annotations

from decimal import Decimal

import pytest
from engine_builders import NOW, a_customer, a_policy, a_ticket, an_order, resolutions_for

from rapport.domain import Intent, OfferKind
from rapport.engine import decide
from rapport.policy import Policy, PolicyError, default_policy_text, parse_policy

DAMAGED = Intent.DAMAGED_ITEM
RATES = {"EUR": 1.08, "JPY": 0.0067}  # 1 EUR = 1.08 USD, 1 JPY = 0.0067 USD


def refund_policy(**limits: object) -> Policy:
    entry = {
        "max_refund": 100,
        "max_credit": 20,
        "max_discount_percent": 10,
        "credit_budget_90d": 50,
        **limits,
    }
    return a_policy(
        limits={"default": entry},
        resolutions=resolutions_for(DAMAGED, {"offer": "refund"}),
        currency_rates=RATES,
    )


def test_a_90_eur_order_is_refunded_in_eur_within_the_converted_limit() -> None:
    policy = refund_policy()
    offer = decide(
        a_ticket(order=an_order(total="90.00", currency="EUR")), a_customer(), policy, NOW
    ).resolution
    # 90 EUR is 97.20 USD: below max_refund 100 USD, so the whole order, in euros.
    assert (offer.offer, offer.amount, offer.currency, offer.capped_by) == (
        OfferKind.REFUND,
        Decimal("90.00"),
        "EUR",
        None,
    )
    assert offer.amount * Decimal("1.08") <= Decimal(100)


def test_a_9000_jpy_order_is_refunded_in_whole_yen_within_the_converted_limit_and_the_order() -> None:
    policy = refund_policy(max_refund=50)
    offer = decide(
        a_ticket(order=an_order(total="9000", currency="JPY")), a_customer(), policy, NOW
    ).resolution
    # 9,000 JPY is 60.30 USD; max_refund 50 USD is 7,462.68... JPY: 7,462 whole yen.
    assert (offer.offer, offer.amount, offer.currency, offer.capped_by) == (
        OfferKind.REFUND,
        Decimal("7462"),
        "JPY",
        "limits.default.max_refund",
    )
    assert offer.amount * Decimal("0.0067") <= Decimal(50)
    assert offer.amount <= Decimal(9000)


def test_a_jpy_refund_below_the_limit_is_the_order_never_more() -> None:
    policy = refund_policy()
    decision = decide(a_ticket(order=an_order(total="9000", currency="JPY")), a_customer(), policy, NOW)
    offer = decision.resolution
    assert (offer.offer, offer.amount, offer.currency) == (OfferKind.REFUND, Decimal("9000"), "JPY")
    assert (
        "Converted 60.30 USD to 9,000 JPY at 1 JPY = 0.0067 USD (currency_rates.JPY)" in decision.explanation
    )


def test_a_refund_asking_for_more_than_the_order_is_capped_at_the_order() -> None:
    policy = a_policy(
        resolutions=resolutions_for(DAMAGED, {"offer": "partial_refund", "amount": "order.total * 2.0"}),
        currency_rates=RATES,
    )
    decision = decide(a_ticket(order=an_order(total="40.00", currency="EUR")), a_customer(), policy, NOW)
    offer = decision.resolution
    assert (offer.amount, offer.currency, offer.capped_by) == (Decimal("40.00"), "EUR", "order.total")
    assert "Capped at 40.00 EUR, the order's value" in decision.explanation


def test_an_order_in_a_currency_without_a_rate_escalates_and_says_why() -> None:
    policy = refund_policy()
    decision = decide(a_ticket(order=an_order(total="90.00", currency="CHF")), a_customer(), policy, NOW)
    offer = decision.resolution
    assert (offer.offer, offer.amount, offer.currency, offer.capped_by) == (
        OfferKind.ESCALATE,
        None,
        "USD",
        "currency_rates.CHF",
    )
    assert offer.reason == "a teammate will handle this CHF order"
    assert (
        "Escalated: the order is in CHF and the policy's limits are in USD, "
        "but currency_rates has no rate for CHF"
    ) in decision.explanation
    assert decision.needs_human


def test_rules_read_the_order_total_in_the_policy_currency() -> None:
    policy = a_policy(
        resolutions=resolutions_for(
            DAMAGED, {"when": "order.total > 100.0", "offer": "escalate"}, {"offer": "exchange"}
        ),
        currency_rates=RATES,
    )
    # 95 EUR is 102.60 USD: above 100 in the policy's currency, though not in euros.
    decision = decide(a_ticket(order=an_order(total="95.00", currency="EUR")), a_customer(), policy, NOW)
    assert decision.resolution.offer is OfferKind.ESCALATE
    assert any("(order total 102.60 USD)" in line for line in decision.explanation)


def test_store_credit_written_in_the_policy_currency_is_converted_for_the_order() -> None:
    policy = a_policy(
        resolutions=resolutions_for(DAMAGED, {"offer": "store_credit", "amount": 15}), currency_rates=RATES
    )
    offer = decide(
        a_ticket(order=an_order(total="9000", currency="JPY")), a_customer(), policy, NOW
    ).resolution
    # 15 USD / 0.0067 = 2,238.8... JPY: 2,238 whole yen.
    assert (offer.offer, offer.amount, offer.currency) == (OfferKind.STORE_CREDIT, Decimal("2238"), "JPY")


def test_the_default_policy_refunds_an_eur_order_in_eur_once_it_has_a_rate() -> None:
    text = default_policy_text() + "\ncurrency_rates: {EUR: 1.08, JPY: 0.0067}\n"
    policy = parse_policy(text, "rapport.yaml")
    ticket = a_ticket(order=an_order(total="90.00", currency="EUR"))
    offer = decide(ticket, a_customer(), policy, NOW).resolution
    assert (offer.offer, offer.amount, offer.currency) == (OfferKind.REFUND, Decimal("90.00"), "EUR")


def test_without_currency_rates_a_foreign_order_gets_no_automatic_money() -> None:
    policy = parse_policy(default_policy_text(), "rapport.yaml")
    offer = decide(
        a_ticket(order=an_order(total="9000", currency="JPY")), a_customer(), policy, NOW
    ).resolution
    assert (offer.offer, offer.capped_by) == (OfferKind.ESCALATE, "currency_rates.JPY")


@pytest.mark.parametrize(
    ("rates", "message"),
    [
        ("{EUR: 0}", "currency_rates.EUR: Input should be greater than or equal to"),
        ("{EUR: -1.08}", "currency_rates.EUR: Input should be greater than or equal to"),
        ("{EUR: .nan}", "currency_rates.EUR: Input should be a finite number"),
        ("{EUR: .inf}", "currency_rates.EUR: Input should be a finite number"),
        ("{EUR: lots}", "currency_rates.EUR: Input should be a valid decimal"),
        ("{EUR: true}", "currency_rates.EUR: Decimal input should be"),
        ("{eur: 1.08}", "currency_rates.eur: String should match pattern"),
        ("{USD: 1}", "currency_rates: USD is the policy's currency (its rate is always 1): remove it"),
        ("[EUR, 1.08]", "currency_rates: Input should be a valid dictionary"),
    ],
)
def test_a_bad_rate_is_reported_with_its_file_and_line(rates: str, message: str) -> None:
    text = default_policy_text() + f"\ncurrency_rates: {rates}\n"
    line = text.count("\n", 0, text.index("currency_rates:")) + 1
    with pytest.raises(PolicyError) as raised:
        parse_policy(text, "rapport.yaml")
    assert any(
        str(issue).startswith(f"rapport.yaml:{line}:") and message in str(issue)
        for issue in raised.value.issues
    ), str(raised.value)


def test_a_policy_in_yen_grants_whole_yen() -> None:
    policy = a_policy(
        currency="JPY", resolutions=resolutions_for(DAMAGED, {"offer": "store_credit", "amount": 15.5})
    )
    offer = decide(a_ticket(), a_customer(), policy, NOW).resolution
    assert (offer.amount, offer.currency) == (Decimal("15"), "JPY")


def test_a_refund_capped_at_a_yen_order_s_value_is_in_whole_yen() -> None:
    policy = a_policy(
        resolutions=resolutions_for(DAMAGED, {"offer": "partial_refund", "amount": "order.total * 2.0"}),
        currency_rates=RATES,
    )
    offer = decide(
        a_ticket(order=an_order(total="100.50", currency="JPY")), a_customer(), policy, NOW
    ).resolution
    assert (offer.amount, offer.currency, offer.capped_by) == (Decimal("100"), "JPY", "order.total")
