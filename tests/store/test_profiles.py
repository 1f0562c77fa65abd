"""The customer profile from SQL aggregates: the facts a policy reasons over, as of `now`."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from rapport.domain import CustomerProfile
from store_builders import StoreBuilder


def profile(store: StoreBuilder, email: str = "dana.lee@example.com") -> CustomerProfile:
    with store.uow_factory() as uow:
        return uow.profiles.get_profile(merchant_id=store.merchant_id, email=email, now=store.now)


def test_an_unknown_email_gets_a_guest_profile_in_the_merchants_currency(store: StoreBuilder) -> None:
    card = profile(store, "nobody@example.com")
    assert (card.is_known, card.orders_count, card.currency) == (False, 0, "USD")


def test_the_email_is_matched_whatever_its_case(store: StoreBuilder) -> None:
    store.customer(email="dana.lee@example.com", first_name="Dana")
    assert profile(store, "Dana.Lee@EXAMPLE.com").first_name == "Dana"


def test_a_first_time_buyer_has_one_order_whose_items_are_loaded(store: StoreBuilder) -> None:
    dana = store.customer(since_days=6)
    store.order(dana, days_ago=5, total="42.00", items=("Ceramic pour-over dripper",))
    card = profile(store)
    assert (card.orders_count, card.total_spent, card.average_order_value, card.tenure_days) == (
        1,
        Decimal("42.00"),
        Decimal("42.00"),
        5,
    )
    assert card.last_order is not None
    assert [item.title for item in card.last_order.line_items] == ["Ceramic pour-over dripper"]


def test_a_customer_without_orders_has_tenure_since_the_account_was_created(store: StoreBuilder) -> None:
    store.customer(since_days=30)
    card = profile(store)
    assert (card.orders_count, card.tenure_days, card.last_order) == (0, 30, None)


def test_a_vip_has_totals_over_all_orders_and_the_last_year_separately(store: StoreBuilder) -> None:
    maria = store.customer(since_days=1800)
    store.order(maria, days_ago=1700, total="1200.00")
    store.order(maria, days_ago=400, total="900.00")
    store.order(maria, days_ago=100, total="300.00")
    store.order(maria, days_ago=8, total="100.00")
    card = profile(store)
    assert (card.orders_count, card.total_spent, card.spent_last_365d, card.average_order_value) == (
        4,
        Decimal("2500.00"),
        Decimal("400.00"),
        Decimal("625.00"),
    )
    assert card.tenure_days == 1700


def test_the_average_order_value_is_rounded_to_cents(store: StoreBuilder) -> None:
    dana = store.customer()
    for total in ("10.00", "10.00", "10.01"):
        store.order(dana, total=total)
    assert profile(store).average_order_value == Decimal("10.00")


def test_cancelled_voided_and_refunded_orders_do_not_count_as_spending(store: StoreBuilder) -> None:
    dana = store.customer()
    store.order(dana, days_ago=40, total="50.00")
    store.order(dana, days_ago=30, total="500.00", cancelled_at=store.now - timedelta(days=29))
    store.order(dana, days_ago=20, total="400.00", financial_status="voided")
    store.order(dana, days_ago=10, total="300.00", financial_status="refunded")
    card = profile(store)
    assert (card.orders_count, card.total_spent) == (1, Decimal("50.00"))


def test_a_partially_refunded_order_counts_at_its_full_total(store: StoreBuilder) -> None:
    store.order(store.customer(), total="80.00", financial_status="partially_refunded")
    assert profile(store).total_spent == Decimal("80.00")


def test_a_cancelled_order_still_shows_among_recent_orders_as_cancelled(store: StoreBuilder) -> None:
    dana = store.customer()
    store.order(dana, external_id="1", days_ago=9)
    store.order(dana, external_id="2", days_ago=2, financial_status="voided")
    card = profile(store)
    assert [(o.id, o.cancelled) for o in card.recent_orders] == [("2", True), ("1", False)]


def test_open_orders_are_those_not_cancelled_and_not_fulfilled(store: StoreBuilder) -> None:
    dana = store.customer()
    store.order(dana, fulfillment_status="unfulfilled")
    store.order(dana, fulfillment_status="partial")
    store.order(dana, fulfillment_status="fulfilled")
    store.order(dana, fulfillment_status="delivered")
    store.order(dana, fulfillment_status="restocked")
    store.order(dana, fulfillment_status="unfulfilled", cancelled_at=store.now)
    assert profile(store).open_orders == 2


def test_recent_orders_are_the_five_newest_newest_first(store: StoreBuilder) -> None:
    dana = store.customer()
    for days in (70, 60, 50, 40, 30, 20, 10):
        store.order(dana, external_id=str(days), days_ago=days)
    card = profile(store)
    assert [o.id for o in card.recent_orders] == ["10", "20", "30", "40", "50"]
    assert card.last_order == card.recent_orders[0]


def test_orders_after_now_are_not_yet_part_of_the_profile(store: StoreBuilder) -> None:
    dana = store.customer()
    store.order(dana, external_id="past", days_ago=3)
    store.order(dana, external_id="future", days_ago=-1)
    card = profile(store)
    assert (card.orders_count, [o.id for o in card.recent_orders]) == (1, ["past"])


def test_a_subscriber_has_an_active_subscription_and_its_next_billing_date(store: StoreBuilder) -> None:
    sam = store.customer()
    store.subscription(sam, status="active", bills_in_days=12)
    store.subscription(sam, status="active", bills_in_days=5)
    store.subscription(sam, status="cancelled", bills_in_days=1)
    card = profile(store)
    assert card.has_active_subscription
    assert card.subscription_next_billing_at == store.now + timedelta(days=5)


def test_a_cancelled_subscription_is_not_active(store: StoreBuilder) -> None:
    store.subscription(store.customer(), status="cancelled")
    card = profile(store)
    assert (card.has_active_subscription, card.subscription_next_billing_at) == (False, None)


def test_loyalty_and_tags_come_from_the_customer(store: StoreBuilder) -> None:
    store.customer(loyalty_tier="gold", loyalty_points=1200, tags=("vip", "loyalty"))
    card = profile(store)
    assert (card.loyalty_tier, card.loyalty_points, card.tags) == ("gold", 1200, ("loyalty", "vip"))


def test_a_contact_exactly_90_days_ago_is_inside_the_window(store: StoreBuilder) -> None:
    store.contact(store.customer(), ago=timedelta(days=90))
    assert profile(store).contacts_last_90d == 1


def test_a_contact_just_over_90_days_ago_is_outside_the_window(store: StoreBuilder) -> None:
    store.contact(store.customer(), ago=timedelta(days=90, seconds=1))
    assert profile(store).contacts_last_90d == 0


def test_refunds_and_credits_of_the_last_90_days_are_summed_separately(store: StoreBuilder) -> None:
    rob = store.customer()
    store.contact(rob, ago=timedelta(days=5), offer="refund", amount="24.00")
    store.contact(rob, ago=timedelta(days=15), offer="partial_refund", amount="6.50")
    store.contact(rob, ago=timedelta(days=25), offer="waive_fee", amount="5.00")
    store.contact(rob, ago=timedelta(days=35), offer="store_credit", amount="15.00")
    store.contact(rob, ago=timedelta(days=45), offer="replacement")
    store.contact(rob, ago=timedelta(days=120), offer="refund", amount="99.00")
    card = profile(store)
    assert (card.contacts_last_90d, card.refunds_last_90d, card.credits_last_90d) == (
        5,
        Decimal("35.50"),
        Decimal("15.00"),
    )


def test_a_customer_of_one_merchant_is_a_guest_for_another(store: StoreBuilder) -> None:
    store.order(store.customer(email="dana.lee@example.com"), total="99.00")
    with store.uow_factory() as uow:
        other = uow.merchants.get_or_create("globex")
        card = uow.profiles.get_profile(merchant_id=other, email="dana.lee@example.com", now=store.now)
    assert not card.is_known


def test_profile_times_are_aware_utc(store: StoreBuilder) -> None:
    store.order(store.customer(), days_ago=3)
    card = profile(store)
    offsets = [t.utcoffset() if t else None for t in (card.first_order_at, card.customer_since)]
    assert offsets == [timedelta(0), timedelta(0)]
