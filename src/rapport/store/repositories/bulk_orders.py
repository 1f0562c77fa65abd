"""Bulk loading of orders named by customer e-mail (Shopify's orders export): a few set-based
statements per batch.

The generic upsert (`rapport.store.upsert`) builds a mapping per row; at tens of thousands of rows per
second that is most of the cost. Here the caller converts each distinct value once with `BulkValues`
(the columns' own bind processors, so values are stored exactly as the repositories store them) and
hands over tuples; the loader runs in the unit of work's transaction on its raw DBAPI connection.
SQLite: one statement per table through the driver's executemany, the customer and order found by a
subquery per row. PostgreSQL: the orders `COPY`'d into a staging table, then one statement each for
the stub customers, the orders (an upsert that returns every order's id and whether it was new) and
the old line items of the updated orders; the line items then go in by `COPY`, their order's id
written in (executemany ran one statement per row on the server: ~1,000 rows/s).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from rapport.domain.records import BulkLine, BulkOrder, OrderRecord, UpsertOutcome
from rapport.store.models import Customer, Order, table_of
from rapport.store.repositories.orders import OrderRepository
from rapport.store.statistics import analyze_if_outgrown, note_bulk_write
from rapport.store.upsert import copy_rows, create_stage, domain_errors, raw_cursor

__all__ = ["BulkLine", "BulkOrder", "BulkValues", "OrderBulkRepository"]

IMPORT_CACHE_KIB = 64 * 1024  # SQLite page cache while importing (memory used only as pages are)
CHUNK = 500  # e-mails per IN (...) list: well under SQLite's and PostgreSQL's parameter limits


WRITTEN_TABLE = re.compile(r"^\s*(?:INSERT INTO|UPDATE|DELETE FROM)\s+(\w+)", re.IGNORECASE)


class BulkValues:
    """Converts Python values for the database exactly as the order columns' own types do."""

    def __init__(self, dialect: Dialect) -> None:
        self._time = _processor(dialect, table_of(Order).c.created_at.type)
        self._money = _processor(dialect, table_of(Order).c.total.type)
        self.false = _processor(dialect, table_of(Customer).c.accepts_marketing.type)(False)
        if all(_sqlite_text(v) == self._time(v) for v in SAMPLE_TIMES):
            self._time = _sqlite_text  # the same text, without three layers of Python calls

    def time(self, value: datetime | None) -> Any:
        """A datetime (naive means UTC) as the store keeps it; None stays None."""
        return None if value is None else self._time(value)

    def money(self, value: Decimal) -> Any:
        """An amount as the store keeps it."""
        return self._money(value)


class OrderBulkRepository:
    """Every order write of the ingestion pipeline: `OrderRecord`s (`upsert_many`) and batches of the flat
    `BulkOrder` (`load`), line items replaced, inside the unit of work's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def upsert_many(self, *, merchant_id: int, records: Sequence[OrderRecord]) -> UpsertOutcome:
        """Insert or update orders by external id (their line items replaced); `RecordRefused` when the
        database refuses one."""
        return OrderRepository(self.session).upsert_many(merchant_id=merchant_id, records=records)

    def values(self) -> BulkValues:
        """The converter for this database's times and amounts."""
        return BulkValues(self.session.get_bind().dialect)

    @contextmanager
    def larger_cache(self, kib: int = IMPORT_CACHE_KIB) -> Iterator[None]:
        """On SQLite, a page cache of `kib` KiB for this connection until the block ends (then the
        previous size again). The default 2 MB holds less than the orders' four indexes once a file has
        some 100,000 rows: pages then spill and are read back, and the import slows as it grows."""
        connection = self.session.connection()
        if connection.dialect.name != "sqlite":
            yield
            return
        before = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
        connection.exec_driver_sql(f"PRAGMA cache_size = {-int(kib)}")
        try:
            yield
        finally:
            connection.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")

    def load(self, *, merchant_id: int, orders: Sequence[BulkOrder], lines: Sequence[BulkLine]) -> int:
        """Write the orders and their line items (which replace those stored); returns how many orders
        were written. An id repeated in the batch keeps its last order and that order's lines."""
        orders, lines = _last_of_each(orders, lines)
        if self.session.get_bind().dialect.name == "postgresql":
            if orders or lines:
                _copy_load(self.session, int(merchant_id), orders, lines)
            return len(orders)
        writer = _Writer(self.session, merchant_id)
        try:
            with domain_errors(writer.dialect):
                writer.add_customers({o.email for o in orders if o.email})
                if writer.insert_orders(orders) < len(orders):  # some were stored before
                    writer.update_orders(orders)
                    writer.delete_lines(orders)
                writer.insert(LINE_INSERT, lines)
        finally:
            writer.cursor.close()
        return len(orders)


# Rows reference their customer and order by key; the database resolves them (one index probe each,
# cheaper than rebuilding every tuple in Python). {m} is the merchant's row id, {p} the placeholder.
CUSTOMER_OF = "(SELECT id FROM customers WHERE merchant_id = {m} AND email = {p})"
ORDER_OF = "(SELECT id FROM orders WHERE merchant_id = {m} AND external_id = {p})"
STATUS_COLUMNS = "name, created_at, total, currency, financial_status, fulfillment_status, cancelled_at"
ORDER_INSERT = (
    "INSERT INTO orders (merchant_id, external_id, customer_id, " + STATUS_COLUMNS + ", updated_at) "
    "VALUES ({m}, {p}, " + CUSTOMER_OF + ", {p}, {p}, {p}, {p}, {p}, {p}, {p}, NULL) ON CONFLICT DO NOTHING"
)
ORDER_UPDATE = (
    "UPDATE orders SET customer_id = " + CUSTOMER_OF + ", name = {p}, created_at = {p}, total = {p}, "
    "currency = {p}, financial_status = {p}, fulfillment_status = {p}, cancelled_at = {p}, "
    "updated_at = NULL WHERE merchant_id = {m} AND external_id = {p}"
)
LINE_DELETE = "DELETE FROM order_line_items WHERE order_id = " + ORDER_OF
LINE_INSERT = (
    "INSERT INTO order_line_items (merchant_id, order_id, position, title, quantity, price, sku) "
    "VALUES ({m}, " + ORDER_OF + ", {p}, {p}, {p}, {p}, {p})"
)
STUB_INSERT = (
    "INSERT INTO customers (merchant_id, external_id, email, loyalty_points, accepts_marketing) "
    "VALUES ({m}, {p}, {p}, 0, {p}) ON CONFLICT DO NOTHING"
)


class _Writer:
    def __init__(self, session: Session, merchant_id: int) -> None:
        self.session = session
        connection = session.connection()
        self.dialect = connection.dialect
        self.cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        self.mark = "?" if self.dialect.paramstyle == "qmark" else "%s"
        self.merchant_id = int(merchant_id)  # written into the SQL: an int, never text

    def sql(self, template: str) -> str:
        return template.format(m=self.merchant_id, p=self.mark)

    def add_customers(self, emails: set[str]) -> None:
        """Create a stub customer for each e-mail the merchant has no customer with."""
        wanted = sorted(emails)
        known: set[str] = set()
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            marks = ", ".join([self.mark] * len(chunk))
            sql = f"SELECT email FROM customers WHERE merchant_id = {self.merchant_id} AND email IN ({marks})"
            self.cursor.execute(sql, chunk)
            known.update(email for (email,) in self.cursor.fetchall())
        false = BulkValues(self.dialect).false
        self.insert(STUB_INSERT, [(f"email:{e}", e, false) for e in wanted if e not in known])

    def insert_orders(self, orders: Sequence[BulkOrder]) -> int:
        return self.insert(ORDER_INSERT, orders)

    def update_orders(self, orders: Sequence[BulkOrder]) -> None:
        # Every order of the batch: the new ones are set to what they already hold.
        self.insert(ORDER_UPDATE, [(*o[1:], o[0]) for o in orders])

    def delete_lines(self, orders: Sequence[BulkOrder]) -> None:
        self.insert(LINE_DELETE, [(o[0],) for o in orders])

    def insert(self, template: str, rows: Sequence[Sequence[Any]]) -> int:
        """Run the statement once per row; returns the rows changed (conflicts skipped do not count)."""
        if not rows:
            return 0
        if written := WRITTEN_TABLE.match(template):
            note_bulk_write(self.session, written.group(1), len(rows))
        self.cursor.executemany(self.sql(template), rows)
        return int(self.cursor.rowcount)


# PostgreSQL. {m} is the merchant's row id (an int, written into the SQL), {s} the staging table. The
# customer of a staged order is found by a subquery per row: one probe of the (merchant, e-mail) index,
# never a pass over all the merchant's customers. That needs statistics that know the table is not
# empty: the first transaction of an import writes ~20,000 orders before it commits, so the tables
# are analyzed as they grow inside it (`analyze_if_outgrown`); without that, the planner probed the
# (merchant, external id) index and filtered every customer of the merchant for each order.
STAGE_COLUMNS = (
    "o.external_id, c.email, o.name, o.created_at, o.total, o.currency, o.financial_status, "
    "o.fulfillment_status, o.cancelled_at FROM orders o CROSS JOIN customers c"
)
STAGED_CUSTOMER = "(SELECT c.id FROM customers c WHERE c.merchant_id = {m} AND c.email = s.email)"
STAGED_STUBS = (
    "INSERT INTO customers (merchant_id, external_id, email, loyalty_points, accepts_marketing) "
    "SELECT DISTINCT {m}, 'email:' || s.email, s.email, 0, false FROM {s} s "
    "WHERE s.email <> '' AND " + STAGED_CUSTOMER + " IS NULL ORDER BY s.email ON CONFLICT DO NOTHING"
)
STAGED_ORDERS = (
    "INSERT INTO orders (merchant_id, external_id, customer_id, " + STATUS_COLUMNS + ", updated_at) "
    "SELECT {m}, s.external_id, " + STAGED_CUSTOMER + ", s.name, s.created_at, s.total, s.currency, "
    "s.financial_status, s.fulfillment_status, s.cancelled_at, NULL FROM {s} s "
    "ORDER BY s.ctid "  # the COPY's order: new orders get their ids in the file's order
    "ON CONFLICT (merchant_id, external_id) DO UPDATE SET customer_id = EXCLUDED.customer_id, "
    "name = EXCLUDED.name, created_at = EXCLUDED.created_at, total = EXCLUDED.total, "
    "currency = EXCLUDED.currency, financial_status = EXCLUDED.financial_status, "
    "fulfillment_status = EXCLUDED.fulfillment_status, cancelled_at = EXCLUDED.cancelled_at, "
    "updated_at = NULL RETURNING external_id, id, xmax = 0"
)
STAGE = "rapport_stage_bulk_orders"
LINE_COLUMNS = ("merchant_id", "order_id", "position", "title", "quantity", "price", "sku")


def _copy_load(
    session: Session, merchant_id: int, orders: Sequence[BulkOrder], lines: Sequence[BulkLine]
) -> None:
    """`OrderBulkRepository.load` on PostgreSQL (the orders' ids are unique)."""
    with domain_errors(session.get_bind().dialect), raw_cursor(session) as cursor:
        create_stage(cursor, STAGE, STAGE_COLUMNS)
        copy_rows(cursor, STAGE, BulkOrder._fields, orders)
        cursor.execute(STAGED_STUBS.format(m=merchant_id, s=STAGE))
        note_bulk_write(session, "customers", max(cursor.rowcount, 0))
        analyze_if_outgrown(session, "customers")  # before the orders look their customers up
        cursor.execute(STAGED_ORDERS.format(m=merchant_id, s=STAGE))
        written = cursor.fetchall()
        note_bulk_write(session, "orders", len(written))
        analyze_if_outgrown(session, "orders")
        updated = [row_id for _, row_id, inserted in written if not inserted]
        if updated:
            cursor.execute("DELETE FROM order_line_items WHERE order_id = ANY(%s)", [updated])
        ids = {external_id: row_id for external_id, row_id, _ in written}
        # An unknown order (none: lines come with their order) gets no id, which the column refuses.
        rows = ((merchant_id, ids.get(line[0]), *line[1:]) for line in lines)
        copy_rows(cursor, "order_line_items", LINE_COLUMNS, rows)
        note_bulk_write(session, "order_line_items", len(lines))
        analyze_if_outgrown(session, "order_line_items")


def _last_of_each(
    orders: Sequence[BulkOrder], lines: Sequence[BulkLine]
) -> tuple[Sequence[BulkOrder], Sequence[BulkLine]]:
    """The orders with each id once (its last occurrence) and that occurrence's lines."""
    last = {o[0]: o for o in orders}
    if len(last) == len(orders):
        return orders, lines
    kept: dict[str, list[BulkLine]] = {}
    for line in lines:
        if line[1] == 0:  # an occurrence's first line: it replaces an earlier occurrence's
            kept[line[0]] = []
        kept.setdefault(line[0], []).append(line)
    return list(last.values()), [line for group in kept.values() for line in group]


SAMPLE_TIMES = (
    datetime(2026, 10, 30, 10, 0, tzinfo=timezone(timedelta(hours=-4))),
    datetime(2024, 2, 29, 23, 59, 59, 123456, tzinfo=UTC),
    datetime(999, 1, 2, 3, 4, 5),
)


def _sqlite_text(value: datetime) -> str:
    """SQLAlchemy's SQLite text for a UTC datetime (used only when it matches the column's own)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")


def _processor(dialect: Dialect, column_type: Any) -> Callable[[Any], Any]:
    convert = column_type.dialect_impl(dialect).bind_processor(dialect)
    return convert if convert is not None else (lambda value: value)
