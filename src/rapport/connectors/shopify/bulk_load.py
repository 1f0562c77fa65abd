"""Fast batch loading of orders into the store's tables: one statement per table per batch.

The repositories' upserts build a Python object per row and compile per batch; that caps CSV imports at a
few thousand rows per second. This loader sends plain parameter tuples through the unit of work's own
connection (same transaction, same tables, values converted by the columns' own SQLAlchemy types, so
they are stored exactly as the repositories store them). Candidate for `rapport.store` once it settles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table

from rapport.store.models import Customer, Order, OrderLineItem, table_of
from rapport.store.unit_of_work import UnitOfWork

CHUNK = 500  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True, slots=True)
class OrderRow:
    """One order as loaded: the customer is named by e-mail (as in Shopify's orders export)."""

    external_id: str
    name: str
    email: str | None
    created_at: datetime
    total: Decimal
    currency: str
    financial_status: str
    fulfillment_status: str
    cancelled_at: datetime | None
    lines: tuple[tuple[str, int, Decimal, str | None], ...]  # title, quantity, price, sku


class OrderLoader:
    """Upserts batches of orders (line items replaced) inside an open unit of work."""

    def __init__(self, uow: UnitOfWork, *, merchant_id: int) -> None:
        self.conn: Connection = uow.customers.session.connection()
        self.merchant_id = merchant_id
        dialect = self.conn.dialect
        self.mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self.dialect = dialect

    def load(self, orders: Sequence[OrderRow]) -> int:
        """Write the orders; returns how many were written (a repeated id keeps its last row)."""
        latest = list({o.external_id: o for o in orders}.values())
        ids = self._upsert_orders(latest, self.customer_ids({o.email for o in latest if o.email}))
        self._replace_lines(latest, ids)
        return len(latest)

    def _upsert_orders(self, orders: list[OrderRow], owners: dict[str, int]) -> dict[str, int]:
        columns = [
            "merchant_id",
            "external_id",
            "customer_id",
            "name",
            "created_at",
            "total",
            "currency",
            "financial_status",
            "fulfillment_status",
            "cancelled_at",
            "updated_at",
        ]
        when, money = self._processor(Order, "created_at"), self._processor(Order, "total")
        rows = [
            (
                self.merchant_id,
                o.external_id,
                owners.get(o.email or ""),
                o.name,
                when(o.created_at),
                money(o.total),
                o.currency,
                o.financial_status,
                o.fulfillment_status,
                when(o.cancelled_at),
                None,
            )
            for o in orders
        ]
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns[2:])
        table = table_of(Order)
        self._insert(table, columns, rows, f"ON CONFLICT (merchant_id, external_id) DO UPDATE SET {updates}")
        return self._ids(table, "external_id", [o.external_id for o in orders])

    def _replace_lines(self, orders: list[OrderRow], ids: dict[str, int]) -> None:
        order_ids = list(ids.values())
        for start in range(0, len(order_ids), CHUNK):
            chunk = order_ids[start : start + CHUNK]
            marks = ", ".join([self.mark] * len(chunk))
            self.conn.exec_driver_sql(
                f"DELETE FROM order_line_items WHERE order_id IN ({marks})", tuple(chunk)
            )
        price = self._processor(OrderLineItem, "price")
        items = [
            (self.merchant_id, ids[o.external_id], position, title, quantity, price(amount), sku)
            for o in orders
            for position, (title, quantity, amount, sku) in enumerate(o.lines)
        ]
        columns = ["merchant_id", "order_id", "position", "title", "quantity", "price", "sku"]
        self._insert(table_of(OrderLineItem), columns, items, "")

    def customer_ids(self, emails: set[str]) -> dict[str, int]:
        """Row ids of the customers with these (lower-case) e-mails; unknown ones are created as stubs."""
        table = table_of(Customer)
        found = self._ids(table, "email", sorted(emails))
        missing = sorted(emails - found.keys())
        if missing:
            flag = self._processor(Customer, "accepts_marketing")
            rows = [(self.merchant_id, f"email:{e}", e, 0, flag(False)) for e in missing]
            self._insert(
                table,
                ["merchant_id", "external_id", "email", "loyalty_points", "accepts_marketing"],
                rows,
                "ON CONFLICT DO NOTHING",
            )
            found.update(self._ids(table, "email", missing))
        return found

    def _ids(self, table: Table, key: str, values: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for start in range(0, len(values), CHUNK):
            chunk = values[start : start + CHUNK]
            sql = (
                f"SELECT {key}, id FROM {table.name} WHERE merchant_id = {self.mark} "
                f"AND {key} IN ({', '.join([self.mark] * len(chunk))})"
            )
            found.update({k: i for k, i in self.conn.exec_driver_sql(sql, (self.merchant_id, *chunk))})
        return found

    def _processor(self, model: type, column: str) -> Callable[[Any], Any]:
        """The column type's own conversion (e.g. datetime to SQLite text), None passed through."""
        convert = table_of(model).c[column].type.bind_processor(self.dialect)
        if convert is None:
            return lambda value: value
        return lambda value: None if value is None else convert(value)

    def _insert(self, table: Table, columns: list[str], rows: list[tuple[Any, ...]], tail: str) -> None:
        if not rows:
            return
        marks = ", ".join([self.mark] * len(columns))
        sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks}) {tail}"
        self.conn.exec_driver_sql(sql, rows)
