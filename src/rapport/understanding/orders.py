"""Which of the customer's orders a ticket is about."""

from __future__ import annotations

from collections.abc import Sequence

from rapport.domain import Entity, Intent, OrderSummary
from rapport.domain.customer import RECEIVED_FULFILLMENT
from rapport.understanding.entities import order_key

# Intents about something still on its way: the open order is meant.
_OPEN_ORDER_INTENTS = {
    Intent.WHERE_IS_MY_ORDER,
    Intent.LATE_DELIVERY,
    Intent.CANCEL_ORDER,
    Intent.CHANGE_ORDER,
}
# Intents about something received: the most recent (partly) fulfilled order is meant.
_RECEIVED_ORDER_INTENTS = {
    Intent.DAMAGED_ITEM,
    Intent.WRONG_ITEM,
    Intent.MISSING_ITEM,
    Intent.RETURN_REQUEST,
}
# Intents about money: the most recent order that was paid for is meant.
_PAID_ORDER_INTENTS = {Intent.REFUND_REQUEST, Intent.BILLING_ISSUE, Intent.DISCOUNT_ISSUE}


def resolve_order(
    entities: Sequence[Entity], orders: Sequence[OrderSummary], intent: Intent
) -> OrderSummary | None:
    """The order a ticket is about: a reference, else a mentioned item, else the order the intent fits.

    Explicit references are matched on the order name ('#1042') or id, ignoring '#' and leading zeros.
    Without one, an open-order intent (where is my order, late, cancel, change) takes the single open
    order or the most recent open one; a received-item intent (damaged, wrong, missing, return) takes the
    most recent fulfilled order; a money intent the most recent paid order; any other intent takes the
    single open order only when there is exactly one. None when nothing fits.
    """
    newest_first = sorted(orders, key=lambda o: o.created_at, reverse=True)
    by_ref = _referenced(entities, newest_first)
    if by_ref is not None:
        return by_ref
    by_item = _by_item(entities, newest_first)
    if by_item is not None:
        return by_item
    return _fitting_intent(newest_first, intent)


def _referenced(entities: Sequence[Entity], orders: Sequence[OrderSummary]) -> OrderSummary | None:
    for entity in entities:
        if entity.kind != "order_ref":
            continue
        key = order_key(entity.value)
        for order in orders:
            if key in (order_key(order.name), order_key(order.id)):
                return order
    return None


def _by_item(entities: Sequence[Entity], orders: Sequence[OrderSummary]) -> OrderSummary | None:
    titles = {e.value for e in entities if e.kind == "item"}
    if not titles:
        return None
    holding = [o for o in orders if titles & {li.title for li in o.line_items}]
    return holding[0] if holding else None


def _fitting_intent(orders: Sequence[OrderSummary], intent: Intent) -> OrderSummary | None:
    open_orders = [o for o in orders if o.is_open]
    if intent in _OPEN_ORDER_INTENTS:
        if open_orders:
            return open_orders[0]
        # "Where is my order" about an order marked delivered: the newest one is still the one meant.
        if intent in (Intent.WHERE_IS_MY_ORDER, Intent.LATE_DELIVERY):
            return next((o for o in orders if not o.cancelled), None)
        return None
    if intent in _RECEIVED_ORDER_INTENTS:
        received = [o for o in orders if not o.cancelled and o.fulfillment_status in RECEIVED_FULFILLMENT]
        return received[0] if received else None
    if intent in _PAID_ORDER_INTENTS:
        paid = [o for o in orders if o.financial_status in ("paid", "partially_refunded", "partially_paid")]
        return paid[0] if paid else (orders[0] if orders else None)
    return open_orders[0] if len(open_orders) == 1 else None
