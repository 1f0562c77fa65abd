"""Which of the customer's orders a ticket is about."""

from __future__ import annotations

from understanding_builders import an_order

from rapport.domain import Entity, Intent
from rapport.understanding import resolve_order

OPEN_NEW = an_order("#1050", id="2", day=20, fulfillment_status="unfulfilled", items=("Wool Scarf",))
FULFILLED_OLD = an_order("#1042", id="1", day=1, fulfillment_status="fulfilled")
FULFILLED_MID = an_order("#1045", id="3", day=10, fulfillment_status="fulfilled", items=("Linen Shirt (M)",))


def test_an_explicit_reference_wins_over_the_intent() -> None:
    refs = (Entity("order_ref", "1042"),)
    assert resolve_order(refs, [OPEN_NEW, FULFILLED_OLD], Intent.WHERE_IS_MY_ORDER) is FULFILLED_OLD


def test_a_reference_matches_the_order_id_with_leading_zeros_ignored() -> None:
    assert resolve_order((Entity("order_ref", "0002"),), [OPEN_NEW, FULFILLED_OLD], Intent.OTHER) is OPEN_NEW


def test_where_is_my_order_takes_the_open_order() -> None:
    assert resolve_order((), [FULFILLED_OLD, OPEN_NEW], Intent.WHERE_IS_MY_ORDER) is OPEN_NEW


def test_damaged_item_takes_the_most_recent_fulfilled_order() -> None:
    assert resolve_order((), [OPEN_NEW, FULFILLED_OLD, FULFILLED_MID], Intent.DAMAGED_ITEM) is FULFILLED_MID


def test_a_mentioned_item_picks_the_order_that_holds_it() -> None:
    items = (Entity("item", "Ceramic Mug - Blue"),)
    assert (
        resolve_order(items, [OPEN_NEW, FULFILLED_MID, FULFILLED_OLD], Intent.DAMAGED_ITEM) is FULFILLED_OLD
    )


def test_an_unknown_reference_falls_back_to_the_intent() -> None:
    refs = (Entity("order_ref", "9999"),)
    assert resolve_order(refs, [FULFILLED_OLD, OPEN_NEW], Intent.CANCEL_ORDER) is OPEN_NEW


def test_a_tracking_question_with_nothing_open_is_about_the_newest_delivered_order() -> None:
    assert resolve_order((), [FULFILLED_MID, FULFILLED_OLD], Intent.WHERE_IS_MY_ORDER) is FULFILLED_MID


def test_no_order_fits_a_cancellation_when_nothing_is_open() -> None:
    assert resolve_order((), [FULFILLED_OLD], Intent.CANCEL_ORDER) is None


def test_a_general_question_takes_the_single_open_order_only() -> None:
    assert resolve_order((), [FULFILLED_OLD, OPEN_NEW], Intent.PRODUCT_QUESTION) is OPEN_NEW


def test_a_customer_without_orders_has_no_order() -> None:
    assert resolve_order((), [], Intent.DAMAGED_ITEM) is None


DELIVERED_NEW = an_order("#1060", id="6", day=25, fulfillment_status="delivered", items=("Stoneware bowl",))


def test_a_delivered_order_is_no_longer_open() -> None:
    assert not DELIVERED_NEW.is_open
    assert resolve_order((), [DELIVERED_NEW, OPEN_NEW], Intent.WHERE_IS_MY_ORDER) is OPEN_NEW


def test_damaged_item_takes_a_delivered_order_as_received() -> None:
    assert resolve_order((), [DELIVERED_NEW, FULFILLED_MID], Intent.DAMAGED_ITEM) is DELIVERED_NEW
