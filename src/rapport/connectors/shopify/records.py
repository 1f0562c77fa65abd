"""Shopify payloads as the store's records (`rapport.domain.records`): GraphQL nodes (sync) and
REST-shaped bodies (webhooks) alike.

Values the store cannot hold are the writer's to refuse (`record.problem()`), so that one bad record of
a sync never stops it; an order webhook whose order the store cannot hold raises `InvalidInput` here,
and the delivery is recorded as failed with the reason.

Ids are normalised to Shopify's numeric id ("gid://shopify/Order/450789469" and 450789469 are both
"450789469") so that a customer synced by GraphQL, updated by webhook or imported from CSV is one row.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from rapport.domain.errors import InvalidInput
from rapport.domain.records import ZERO, CustomerRecord, LineItemRecord, OrderRecord


def numeric_id(value: Any) -> str | None:
    """Shopify's numeric id from a GID or a number; None for empty values."""
    if value is None or value == "":
        return None
    text = str(value)
    return text.rsplit("/", 1)[1] if text.startswith("gid://") else text


def parse_time(value: Any, *, field: str = "date") -> datetime | None:
    """An ISO 8601 time (Shopify's `Z`, offsets, or CSV's "2024-01-02 10:00:00 -0500") as aware UTC."""
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip().replace("Z", "+00:00")
    if len(text) > 19 and text[10] == " " and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:10]}T{text[11:19]}{text[-5:-2]}:{text[-2:]}"  # CSV export style
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{field}: {value!r} is not a date-time") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_money(value: Any, *, field: str = "amount") -> Decimal:
    """A money amount as an exact Decimal (empty means zero)."""
    if value is None or str(value).strip() == "":
        return ZERO
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInput(f"{field}: {value!r} is not an amount") from None


def split_tags(value: Any) -> tuple[str, ...]:
    """Tags from a list (GraphQL) or Shopify's comma-separated string (REST, CSV)."""
    items = value if isinstance(value, list) else str(value or "").split(",")
    return tuple(t.strip() for t in items if str(t).strip())


def normalise_status(value: Any, *, default: str) -> str:
    """GraphQL's PARTIALLY_FULFILLED and REST's partial alike, lower-case (`paid`, `partial`, ...)."""
    text = str(value or "").strip().lower()
    if not text:
        return default
    return {"partially_fulfilled": "partial"}.get(text, text)


def _shop_money(value: Any) -> tuple[Decimal, str | None]:
    money = (value or {}).get("shopMoney") or {}
    return parse_money(money.get("amount")), money.get("currencyCode")


def customer_from_graphql(node: dict[str, Any]) -> CustomerRecord:
    """A `Customer` node of the GraphQL Admin API."""
    return CustomerRecord(
        external_id=numeric_id(node.get("id")),
        email=node.get("email"),
        first_name=node.get("firstName"),
        last_name=node.get("lastName"),
        locale=node.get("locale"),
        created_at=parse_time(node.get("createdAt"), field="createdAt"),
        updated_at=parse_time(node.get("updatedAt"), field="updatedAt"),
        tags=split_tags(node.get("tags")),
    )


def line_from_graphql(node: dict[str, Any]) -> LineItemRecord:
    """A `LineItem` node."""
    price, _ = _shop_money(node.get("originalUnitPriceSet"))
    plan = node.get("sellingPlan") or {}
    return LineItemRecord(
        title=str(node.get("title") or ""),
        quantity=whole(node.get("quantity"), field="quantity"),
        price=price,
        sku=node.get("sku") or None,
        selling_plan=plan.get("name"),
    )


def order_from_graphql(
    node: dict[str, Any], *, customer_gid: str | None = None, lines: tuple[LineItemRecord, ...] = ()
) -> OrderRecord:
    """An `Order` node; the customer comes from `customer { id }` or the bulk file's `__parentId`."""
    total, currency = _shop_money(node.get("totalPriceSet"))
    refunded = sum((_shop_money(r.get("totalRefundedSet"))[0] for r in node.get("refunds") or []), ZERO)
    customer = customer_gid or (node.get("customer") or {}).get("id")
    return OrderRecord(
        external_id=str(numeric_id(node.get("id"))),
        customer_id=None,
        name=str(node.get("name") or ""),
        created_at=_required_time(node.get("createdAt"), "createdAt"),
        updated_at=parse_time(node.get("updatedAt"), field="updatedAt"),
        cancelled_at=parse_time(node.get("cancelledAt"), field="cancelledAt"),
        total=total,
        currency=currency or "USD",
        financial_status=normalise_status(node.get("displayFinancialStatus"), default="pending"),
        fulfillment_status=normalise_status(node.get("displayFulfillmentStatus"), default="unfulfilled"),
        customer_external_id=numeric_id(customer),
        refunded=refunded,
        line_items=lines,
    )


def _rest_fulfillment_status(payload: dict[str, Any]) -> str:
    """The order's `fulfillment_status`, or `delivered` when the carrier delivered every shipment.

    Shopify's order-level status stops at `fulfilled` (shipped): delivery is each fulfillment's
    `shipment_status`, from the carrier's tracking. Follow-ups counted from the delivery wait for
    `delivered` (docs/follow_ups.md). Cancelled or failed fulfillments shipped nothing and do not count."""
    status = normalise_status(payload.get("fulfillment_status"), default="unfulfilled")
    shipped = [
        f
        for f in payload.get("fulfillments") or []
        if str(f.get("status") or "success").lower() not in ("cancelled", "error", "failure")
    ]
    if status == "fulfilled" and shipped and all(f.get("shipment_status") == "delivered" for f in shipped):
        return "delivered"
    return status


def customer_from_rest(payload: dict[str, Any]) -> CustomerRecord:
    """A customer as webhooks (and the REST API) send it."""
    return CustomerRecord(
        external_id=numeric_id(payload.get("id")),
        email=payload.get("email"),
        first_name=payload.get("first_name"),
        last_name=payload.get("last_name"),
        locale=payload.get("locale"),
        created_at=parse_time(payload.get("created_at"), field="created_at"),
        updated_at=parse_time(payload.get("updated_at"), field="updated_at"),
        tags=split_tags(payload.get("tags")),
        accepts_marketing=bool(payload.get("accepts_marketing") or False),
    )


def order_from_rest(payload: dict[str, Any]) -> OrderRecord:
    """An order as the orders/* webhooks send it (the customer is embedded, when there is one)."""
    customer = payload.get("customer") or {}
    refunded = ZERO
    for refund in payload.get("refunds") or []:
        refunded += sum(
            (
                parse_money(t.get("amount"))
                for t in refund.get("transactions") or []
                if t.get("kind") == "refund" and t.get("status", "success") == "success"
            ),
            ZERO,
        )
    lines = tuple(
        LineItemRecord(
            title=str(li.get("title") or li.get("name") or ""),
            quantity=whole(li.get("quantity"), field="line_items.quantity"),
            price=parse_money(li.get("price"), field="line_items.price"),
            sku=li.get("sku") or None,
            selling_plan=((li.get("selling_plan_allocation") or {}).get("selling_plan") or {}).get("name"),
        )
        for li in payload.get("line_items") or []
    )
    order = OrderRecord(
        external_id=str(numeric_id(payload.get("id"))),
        customer_id=None,
        name=str(payload.get("name") or f"#{payload.get('order_number', '')}"),
        created_at=_required_time(payload.get("created_at"), "created_at"),
        updated_at=parse_time(payload.get("updated_at"), field="updated_at"),
        cancelled_at=parse_time(payload.get("cancelled_at"), field="cancelled_at"),
        total=parse_money(payload.get("total_price"), field="total_price"),
        currency=str(payload.get("currency") or "USD"),
        financial_status=normalise_status(payload.get("financial_status"), default="pending"),
        fulfillment_status=_rest_fulfillment_status(payload),
        customer_external_id=numeric_id(customer.get("id")),
        email=payload.get("email") or customer.get("email"),
        refunded=refunded,
        line_items=lines,
    )
    problem = order.problem()
    if problem is not None:
        raise InvalidInput(f"order {order.name}: {problem}")
    return order


def whole(value: Any, *, field: str) -> int:
    """A whole number from a JSON number or numeric text (empty means zero)."""
    if value is None or value == "":
        return 0
    try:
        number = int(value) if not isinstance(value, float) or value.is_integer() else None
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, bool):
        raise InvalidInput(f"{field}: {value!r} is not a whole number")
    return number


def _required_time(value: Any, field: str) -> datetime:
    parsed = parse_time(value, field=field)
    if parsed is None:
        raise InvalidInput(f"{field} is missing")
    return parsed
