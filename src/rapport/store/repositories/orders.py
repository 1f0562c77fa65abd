"""Orders and their line items, and the order summaries the engine and replies use."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, delete, literal, or_, select, union_all
from sqlalchemy.orm import Session

from rapport.domain import LineItem, OrderSummary
from rapport.domain.records import OrderRecord, UpsertOutcome
from rapport.store.models import Customer, Order, OrderLineItem, table_of
from rapport.store.repositories.customers import normalize_email
from rapport.store.upsert import domain_errors, insert_rows, upsert_rows

SummaryQuery = Select[*tuple[Any, ...]]

# An order is cancelled when it says so or when its payment was voided.
VOIDED = "voided"


def is_cancelled() -> ColumnElement[bool]:
    """SQL condition: the order was cancelled (cancelled_at set, or payment voided)."""
    return or_(Order.cancelled_at.is_not(None), Order.financial_status == VOIDED)


class OrderRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def upsert_many(self, *, merchant_id: int, records: Sequence[OrderRecord]) -> UpsertOutcome:
        """Insert or update orders by external id; an updated order's line items are replaced."""
        with domain_errors():
            return self._upsert_many(merchant_id, records)

    def _upsert_many(self, merchant_id: int, records: Sequence[OrderRecord]) -> UpsertOutcome:
        outcome = upsert_rows(self.session, table_of(Order), [_row(merchant_id, r) for r in records])
        stale = [outcome.ids[ext] for ext in outcome.existing]
        if stale:
            self.session.execute(delete(OrderLineItem).where(OrderLineItem.order_id.in_(stale)))
        items = {r.external_id: r.line_items for r in records}  # the last record of an id wins
        item_rows = [
            {
                "merchant_id": merchant_id,
                "order_id": outcome.ids[ext],
                "position": position,
                "title": item.title,
                "quantity": item.quantity,
                "price": item.price,
                "sku": item.sku,
            }
            for ext, line_items in items.items()
            for position, item in enumerate(line_items)
        ]
        if item_rows:
            insert_rows(self.session, table_of(OrderLineItem), item_rows)
        return outcome

    def find_summary(self, *, merchant_id: int, name_or_id: str) -> OrderSummary | None:
        """The order named "#1042" (or "1042"), else the one whose external id is "1042"."""
        ref = name_or_id.strip()
        bare = ref.lstrip("#")
        names = sorted({ref, f"#{bare}"})
        # Two searches, each on the index of all its equality conditions: (merchant_id, name) and
        # (merchant_id, external_id). One WHERE with "name IN (...) OR external_id = ..." made SQLite
        # read every order of the merchant through the merchant_id prefix of the name index.
        by_name = summary_query().add_columns(literal(0).label("rank"))
        by_name = by_name.where(Order.merchant_id == merchant_id, Order.name.in_(names))
        by_id = summary_query().add_columns(literal(1).label("rank"))
        by_id = by_id.where(Order.merchant_id == merchant_id, Order.external_id == bare)
        found_orders = union_all(by_name, by_id).subquery("found_orders")
        query = select(found_orders).order_by(found_orders.c.rank, found_orders.c.created_at.desc()).limit(1)
        found = self.summaries(query)
        return found[0] if found else None

    def belongs_to(self, *, merchant_id: int, external_id: str, email: str) -> bool:
        """Whether the merchant's order with this external id is the customer's (by e-mail)."""
        query = (
            select(Order.id)
            .join(Customer, Customer.id == Order.customer_id)
            .where(
                Order.merchant_id == merchant_id,
                Order.external_id == external_id,
                Customer.email == normalize_email(email),
            )
            .limit(1)
        )
        return self.session.execute(query).first() is not None

    def summaries_for_customer(
        self, *, merchant_id: int, email: str, limit: int | None = None
    ) -> list[OrderSummary]:
        """The customer's orders, newest first, with their line items."""
        query = (
            summary_query()
            .join(Customer, Customer.id == Order.customer_id)
            .where(Customer.merchant_id == merchant_id, Customer.email == normalize_email(email))
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(limit)
        )
        return self.summaries(query)

    def summaries(self, query: SummaryQuery) -> list[OrderSummary]:
        """Run a `summary_query()`-shaped query; line items are loaded for those orders only."""
        rows = self.session.execute(query).all()
        items = self._line_items([row.id for row in rows])
        return [order_summary(row, items.get(row.id, ())) for row in rows]

    def _line_items(self, order_ids: list[int]) -> dict[int, tuple[LineItem, ...]]:
        if not order_ids:
            return {}
        query = (
            select(
                OrderLineItem.order_id,
                OrderLineItem.title,
                OrderLineItem.quantity,
                OrderLineItem.price,
                OrderLineItem.sku,
            )
            .where(OrderLineItem.order_id.in_(order_ids))
            .order_by(OrderLineItem.order_id, OrderLineItem.position)
        )
        found: dict[int, list[LineItem]] = defaultdict(list)
        for order_id, title, quantity, price, sku in self.session.execute(query):
            found[order_id].append(LineItem(title=title, quantity=quantity, price=price, sku=sku))
        return {order_id: tuple(items) for order_id, items in found.items()}


def summary_query() -> SummaryQuery:
    return select(
        Order.id,
        Order.external_id,
        Order.name,
        Order.created_at,
        Order.total,
        Order.currency,
        Order.financial_status,
        Order.fulfillment_status,
        is_cancelled().label("cancelled"),
    )


def order_summary(row: Row[Any], items: tuple[LineItem, ...]) -> OrderSummary:
    """An order as the engine sees it, from a row of `summary_query`'s columns."""
    return OrderSummary(
        id=row.external_id,
        name=row.name,
        created_at=row.created_at,
        total=row.total,
        currency=row.currency,
        financial_status=row.financial_status,
        fulfillment_status=row.fulfillment_status,
        line_items=items,
        cancelled=bool(row.cancelled),
    )


def _row(merchant_id: int, r: OrderRecord) -> dict[str, object]:
    return {
        "merchant_id": merchant_id,
        "external_id": r.external_id,
        "customer_id": r.customer_id,
        "name": r.name,
        "created_at": r.created_at,
        "total": r.total,
        "currency": r.currency,
        "financial_status": r.financial_status,
        "fulfillment_status": r.fulfillment_status,
        "cancelled_at": r.cancelled_at,
        "updated_at": r.updated_at,
    }
