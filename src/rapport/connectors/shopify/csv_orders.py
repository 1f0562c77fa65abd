"""Shopify's "Export orders" CSV: rows grouped into orders (continuation rows repeat `Name` and carry
only the `Lineitem ...` columns), parsed by column position, loaded in batches by the store's
`OrderBulkRepository`.

Per row the importer does as little as it can: fields are read by position, and each distinct raw
value of a date, amount, quantity or status is parsed (and converted for the database) once. Every
row is still validated: a value seen before was valid, a new one is parsed and checked.

On a machine with two cores the file is read and parsed in a forked child process which hands over
chunks of ready-to-insert tuples through a pipe, while this process writes them: parsing and writing
cost about the same, so the import takes little more than the longer of the two.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext, suppress
from datetime import datetime
from decimal import Decimal, InvalidOperation
from multiprocessing.connection import Connection
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from rapport.connectors.shopify.records import normalise_status, parse_money, parse_time
from rapport.domain.errors import InvalidInput
from rapport.store.repositories.bulk_orders import BulkLine, BulkOrder, BulkValues
from rapport.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from rapport.connectors.shopify.csv_import import CsvImportReport, Rejects

MEMO_LIMIT = 50_000  # distinct values remembered per column (dates are mostly distinct: bound memory)


class _Columns:
    """Positions of the columns the importer reads (optional ones are None when absent)."""

    def __init__(self, header: list[str]) -> None:
        at = {name: i for i, name in enumerate(header)}
        self.width = len(header)
        self.name, self.email, self.total, self.created = (
            at["Name"],
            at["Email"],
            at["Total"],
            at["Created at"],
        )
        self.quantity, self.title, self.price = (
            at["Lineitem quantity"],
            at["Lineitem name"],
            at["Lineitem price"],
        )
        # An optional column the file lacks reads as "" from the padding added after the row's fields.
        optional = (
            "Lineitem sku",
            "Id",
            "Currency",
            "Financial Status",
            "Fulfillment Status",
            "Cancelled at",
        )
        absent = [name for name in optional if name not in at]
        at.update({name: self.width + i for i, name in enumerate(absent)})
        self.padding = [""] * len(absent)
        self.sku, self.id, self.currency = at["Lineitem sku"], at["Id"], at["Currency"]
        self.financial, self.fulfillment = at["Financial Status"], at["Fulfillment Status"]
        self.cancelled = at["Cancelled at"]
        self.order_fields = itemgetter(
            self.name,
            self.email,
            self.created,
            self.total,
            self.currency,
            self.financial,
            self.fulfillment,
            self.cancelled,
        )


class _Memo(dict[str, Any]):
    """raw text -> parsed value, computed on first sight; a value that fails is not remembered."""

    def __init__(self, parse: Callable[[str], Any]) -> None:
        super().__init__()
        self.parse = parse

    def __missing__(self, raw: str) -> Any:
        if len(self) >= MEMO_LIMIT:
            self.clear()
        value = self[raw] = self.parse(raw)
        return value


class _Parser:
    """Turns rows into the store's `BulkOrder`s (values converted by `BulkValues`)."""

    def __init__(self, cols: _Columns, values: BulkValues) -> None:
        self.cols = cols
        self.quantities = _Memo(_quantity)
        self.prices = _Memo(lambda raw: values.money(_price(raw)))
        self.totals = _Memo(lambda raw: values.money(parse_money(raw, field="Total")))
        self.created = _Memo(_time_parser(values, "Created at", required=True))
        self.cancelled = _Memo(_time_parser(values, "Cancelled at", required=False))
        self.financial = _Memo(lambda raw: normalise_status(raw, default="pending"))
        self.fulfillment = _Memo(lambda raw: normalise_status(raw, default="unfulfilled"))

    def key(self, values: list[str]) -> str:
        """The order's external id: its `Id`, else its name."""
        return values[self.cols.id].strip() or f"name:{values[self.cols.name].strip()}"

    def line(self, values: list[str], key: str, position: int) -> BulkLine:
        cols = self.cols
        return (
            key,
            position,
            values[cols.title].strip(),
            self.quantities[values[cols.quantity]],
            self.prices[values[cols.price]],
            values[cols.sku].strip() or None,
        )

    def order(self, key: str, values: list[str]) -> BulkOrder:
        name, email, created, total, currency, financial, fulfillment, cancelled = self.cols.order_fields(
            values
        )
        return BulkOrder(
            key,
            email.strip().lower() or None,
            name.strip(),
            self.created[created],
            self.totals[total],
            currency.strip() or "USD",
            self.financial[financial.strip()],
            self.fulfillment[fulfillment.strip()],
            self.cancelled[cancelled.strip()],
        )


def _quantity(raw: str) -> int:
    quantity = raw.strip() or "1"
    if not quantity.isdigit():
        raise InvalidInput(f"Lineitem quantity {quantity!r} is not a whole number")
    return int(quantity)


def _price(raw: str) -> Decimal:
    try:
        return Decimal(raw.strip() or "0")
    except InvalidOperation:
        raise InvalidInput(f"Lineitem price {raw!r} is not an amount") from None


def _time_parser(values: BulkValues, field: str, *, required: bool) -> Callable[[str], Any]:
    def parse(raw: str) -> Any:
        try:
            parsed: datetime | None = datetime.fromisoformat(
                raw
            )  # Shopify's "2026-10-30 10:00:00 -0400" included
        except ValueError:
            parsed = parse_time(raw, field=field)  # the other forms, or the error naming the field
        if parsed is None and required:
            raise InvalidInput(f"{field} is empty")
        return values.time(parsed)

    return parse


Reject = Callable[[int, str, list[str]], None]
Group = tuple[int, list[str], list[BulkLine]]  # first line number, first row, line items
BadRow = tuple[int, str, list[str]]  # line number, reason, fields
# Orders ready to load, their line items, the rows rejected on the way, and (rows read, bytes read).
Chunk = tuple[list[BulkOrder], list[BulkLine], list[BadRow], tuple[int, int]]
Where = Callable[[], tuple[int, int]]


def load_orders(
    uow_factory: Callable[[], UnitOfWork],
    header: list[str],
    rows: Iterator[tuple[int, list[str]]],
    where: Where,
    sink: OrderSink,
    *,
    in_child: bool,
) -> None:
    """Group, parse and load every order of the file; a bad row goes to the sink's rejects, the rest
    is kept. With `in_child` the rows are parsed in a forked process while this one writes."""
    with uow_factory() as uow:
        parser = _Parser(_Columns(header), uow.bulk_orders.values())
    chunks = _chunks(parser, rows, where, CHUNK_ORDERS)
    try:
        with parsed_in_child(chunks) if in_child else nullcontext(chunks) as ready:
            for chunk in ready:
                sink.write(chunk)
        sink.commit()
    finally:
        sink.close()


CHUNK_ORDERS = 2_000  # orders per hand-over: small enough that the writer starts early


def _chunks(
    parser: _Parser, rows: Iterator[tuple[int, list[str]]], where: Where, size: int
) -> Iterator[Chunk]:
    """The file's orders, `size` at a time, with the rows rejected since the previous chunk."""
    orders: list[BulkOrder] = []
    lines: list[BulkLine] = []
    bad: list[BadRow] = []

    def reject(line: int, reason: str, values: list[str]) -> None:
        bad.append((line, reason, values))  # `bad` as currently bound: a new list per chunk

    order = parser.order
    for line, values, items in _groups(parser.cols, rows, parser, reject):
        try:
            orders.append(order(items[0][0], values))
        except InvalidInput as exc:
            reject(line, exc.message, values)
            continue
        lines += items
        if len(orders) >= size:
            yield orders, lines, bad, where()
            orders, lines, bad = [], [], []
    yield orders, lines, bad, where()


class OrderSink:
    """Writes chunks in transactions of about `batch_size` orders; rejected rows go to `rejects`."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        merchant: str,
        header: list[str],
        rejects: Rejects,
        report: CsvImportReport,
        batch_size: int,
        progress: Callable[[int], None],
    ) -> None:
        self.uow_factory, self.merchant, self.header = uow_factory, merchant, header
        self.rejects, self.report, self.batch_size, self.progress = rejects, report, batch_size, progress
        self._open: ExitStack | None = None  # the unit of work
        self._cache = ExitStack()  # the larger page cache of its connection
        self._uow: UnitOfWork | None = None
        self._merchant_id = 0
        self._pending = 0  # orders written since the last commit

    def write(self, chunk: Chunk) -> None:
        """Reject the chunk's bad rows and load its orders; commit once `batch_size` orders are in."""
        orders, lines, bad, (rows, position) = chunk
        for line, reason, values in bad:
            self.rejects.add(line, reason, dict(zip(self.header, values, strict=False)), self.report)
        self.report.rows = rows
        if orders:
            uow = self._transaction()
            self.report.imported += uow.bulk_orders.load(
                merchant_id=self._merchant_id, orders=orders, lines=lines
            )
            self._pending += len(orders)
        if self._pending >= self.batch_size:
            self.commit()
            self.progress(position)

    def commit(self) -> None:
        """Commit what was written (nothing to do when nothing was)."""
        if self._uow is not None and self._open is not None:
            self._cache.close()  # back to the usual page cache while the connection is still ours
            self._uow.commit()
            self._open.close()
        self._open, self._uow, self._pending = None, None, 0

    def close(self) -> None:
        """Roll back whatever was not committed."""
        if self._open is not None:
            # After a failed statement the restore may fail too: that connection then keeps the larger
            # cache (memory only) and the original error is the one raised.
            with suppress(SQLAlchemyError, sqlite3.Error):
                self._cache.close()
            self._open.close()
        self._open, self._uow = None, None

    def _transaction(self) -> UnitOfWork:
        if self._uow is None:
            self._open = ExitStack()
            self._uow = self._open.enter_context(self.uow_factory())
            self._cache = ExitStack()
            self._cache.enter_context(self._uow.bulk_orders.larger_cache())
            self._merchant_id = self._uow.merchants.get_or_create(slug=self.merchant)
        return self._uow


def _groups(
    cols: _Columns, rows: Iterator[tuple[int, list[str]]], parser: _Parser, reject: Reject
) -> Iterator[Group]:
    """Consecutive rows with the same `Name`, as one order; an order whose first row is bad is skipped."""
    current: Group | None = None
    current_name = None
    width, at_name, padding, parse_line = cols.width, cols.name, cols.padding, parser.line
    for line, values in rows:
        if len(values) != width:
            reject(line, f"{len(values)} fields where the header has {width}", values)
            continue
        if padding:
            values += padding
        name = values[at_name]
        try:
            if name == current_name:
                items = current[2]  # type: ignore[index]
                items.append(parse_line(values, items[0][0], len(items)))
                continue
            if current is not None:
                yield current
            current, current_name = None, None
            if not name.strip():
                raise InvalidInput("Name is empty")
            current, current_name = (line, values, [parse_line(values, parser.key(values), 0)]), name
        except InvalidInput as exc:
            reject(line, exc.message, values)
    if current is not None:
        yield current


def can_parse_in_child() -> bool:
    """Forking is available (Linux, macOS) and this process may run on two cores or more: on one, the
    child would only add the cost of handing the rows over (about a tenth of the import)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores >= 2


@contextmanager
def parsed_in_child(chunks: Iterator[Chunk]) -> Iterator[Iterator[Chunk]]:
    """`chunks`, produced by a forked process and received here: parsing one chunk overlaps with
    writing the previous one (the pipe holds about one chunk, so the child stays at most one ahead).
    The child never touches the database."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_produce, args=(chunks, sender), daemon=True, name="rapport-csv-parser")
    child.start()
    sender.close()
    try:
        yield _received(receiver)
    finally:
        receiver.close()
        if child.is_alive():  # the writer stopped early (an error): the rest of the file is not wanted
            child.terminate()
        child.join()


def _produce(chunks: Iterator[Chunk], sender: Connection) -> None:
    code = 0
    try:
        for chunk in chunks:
            sender.send(("chunk", chunk))
        sender.send(("done", None))
    except BrokenPipeError:
        code = 1  # the writer has gone
    except BaseException as exc:  # noqa: BLE001 - handed to the writer, which raises it
        sender.send(("error", _portable(exc)))
        code = 1
    # Straight out: no flushing of inherited stdio (a progress-bar thread of the parent may have held
    # its lock at the fork) and no finalizers of the parent's objects.
    os._exit(code)


def _received(receiver: Connection) -> Iterator[Chunk]:
    while True:
        try:
            kind, payload = receiver.recv()
        except EOFError:
            raise RuntimeError("the CSV parsing process stopped before the end of the file") from None
        if kind == "done":
            return
        if kind == "error":
            raise payload
        yield payload


def _portable(exc: BaseException) -> BaseException:
    """`exc` if it survives pickling, else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - any failure means: send the text instead
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
