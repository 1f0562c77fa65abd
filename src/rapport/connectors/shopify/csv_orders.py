"""Shopify's "Export orders" CSV: rows grouped into orders (continuation rows repeat `Name` and carry
only the `Lineitem ...` columns), parsed by column position into the flat `BulkOrder`/`BulkLine` form
(`rapport.domain.records`), which the ingestion writer hands to the store's bulk loader.

Per row the importer does as little as it can: fields are read by position, and each distinct raw
value of a date, amount, quantity or status is parsed (and converted for the database) once. Every
row is still validated: a value seen before was valid, a new one is parsed and checked.

On a machine with two cores the file is read and parsed in a forked child process which hands over
chunks of ready-to-insert tuples through a pipe, while this process writes them (the caller, who opens
the units of work: this module never touches the store): parsing and writing
cost about the same, so the import takes little more than the longer of the two.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal, InvalidOperation
from multiprocessing.connection import Connection
from operator import itemgetter
from typing import Any

from rapport.connectors.shopify.records import normalise_status, parse_money, parse_time
from rapport.domain.errors import InvalidInput, portable_error
from rapport.domain.limits_of_store import (
    ID_LENGTH,
    ORDER_NAME_LENGTH,
    SKU_LENGTH,
    STATUS_LENGTH,
    TITLE_LENGTH,
    checked,
    currency_problem,
    email_problem,
    instant_problem,
    money_problem,
    text_problem,
    whole_problem,
)
from rapport.domain.records import BulkLine, BulkOrder, StoredValues

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
    """Turns rows into `BulkOrder`s (values converted by the store's `StoredValues`)."""

    def __init__(self, cols: _Columns, values: StoredValues) -> None:
        self.cols = cols
        self.quantities = _Memo(_quantity)
        self.prices = _Memo(lambda raw: values.money(_price(raw)))
        self.totals = _Memo(lambda raw: values.money(_money(parse_money(raw, field="Total"), "Total")))
        self.created = _Memo(_time_parser(values, "Created at", required=True))
        self.cancelled = _Memo(_time_parser(values, "Cancelled at", required=False))
        self.financial = _Memo(_status_parser("Financial Status", default="pending"))
        self.fulfillment = _Memo(_status_parser("Fulfillment Status", default="unfulfilled"))
        self.currencies = _Memo(_currency)
        self.emails = _Memo(_email)

    def key(self, values: list[str]) -> str:
        """The order's external id: its `Id`, else its name."""
        key = values[self.cols.id].strip() or f"name:{values[self.cols.name].strip()}"
        if len(key) > ID_LENGTH or "\x00" in key:
            checked(text_problem(key, "Id" if values[self.cols.id].strip() else "Name", ID_LENGTH))
        return key

    def line(self, values: list[str], key: str, position: int) -> BulkLine:
        cols = self.cols
        title, sku = values[cols.title].strip(), values[cols.sku].strip() or None
        if len(title) > TITLE_LENGTH or "\x00" in title:
            checked(text_problem(title, "Lineitem name", TITLE_LENGTH))
        if sku is not None and (len(sku) > SKU_LENGTH or "\x00" in sku):
            checked(text_problem(sku, "Lineitem sku", SKU_LENGTH))
        return (
            key,
            position,
            title,
            self.quantities[values[cols.quantity]],
            self.prices[values[cols.price]],
            sku,
        )

    def order(self, key: str, values: list[str]) -> BulkOrder:
        name, email, created, total, currency, financial, fulfillment, cancelled = self.cols.order_fields(
            values
        )
        name = name.strip()
        if len(name) > ORDER_NAME_LENGTH or "\x00" in name:
            checked(text_problem(name, "Name", ORDER_NAME_LENGTH))
        return BulkOrder(
            key,
            self.emails[email],
            name,
            self.created[created],
            self.totals[total],
            self.currencies[currency],
            self.financial[financial.strip()],
            self.fulfillment[fulfillment.strip()],
            self.cancelled[cancelled.strip()],
        )


# Every value is checked against what the store can hold (rapport.domain.limits_of_store), once per
# distinct raw value (the memos), so that a bad one rejects its row and not the batch it is written in.


def _quantity(raw: str) -> int:
    quantity = raw.strip() or "1"
    if not quantity.isdigit():
        raise InvalidInput(f"Lineitem quantity {quantity!r} is not a whole number")
    value = int(quantity)
    checked(whole_problem(value, "Lineitem quantity"))
    return value


def _price(raw: str) -> Decimal:
    try:
        price = Decimal(raw.strip() or "0")
    except InvalidOperation:
        raise InvalidInput(f"Lineitem price {raw!r} is not an amount") from None
    return _money(price, "Lineitem price")


def _money(value: Decimal, field: str) -> Decimal:
    checked(money_problem(value, field))
    return value


def _currency(raw: str) -> str:
    currency = raw.strip().upper() or "USD"
    checked(currency_problem(currency, "Currency"))
    return currency


def _email(raw: str) -> str | None:
    """The order's e-mail, lower-case; a customer is created under it when none has it (`email:<e-mail>`)."""
    email = raw.strip().lower() or None
    checked(email_problem(email, "Email", keyed=True))
    return email


def _status_parser(field: str, *, default: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        status = normalise_status(raw, default=default)
        checked(text_problem(status, field, STATUS_LENGTH))
        return status

    return parse


def _time_parser(values: StoredValues, field: str, *, required: bool) -> Callable[[str], Any]:
    def parse(raw: str) -> Any:
        try:
            parsed: datetime | None = datetime.fromisoformat(
                raw
            )  # Shopify's "2026-10-30 10:00:00 -0400" included
        except ValueError:
            parsed = parse_time(raw, field=field)  # the other forms, or the error naming the field
        if parsed is None and required:
            raise InvalidInput(f"{field} is empty")
        checked(instant_problem(parsed, field))
        return values.time(parsed)

    return parse


Reject = Callable[[int, str, list[str]], None]
Group = tuple[int, list[str], list[BulkLine]]  # first line number, first row, line items
BadRow = tuple[int, str, list[str]]  # line number, reason, fields
# Orders ready to load, their line items, the rows rejected on the way, and (rows read, bytes read).
Chunk = tuple[list[BulkOrder], list[BulkLine], list[BadRow], tuple[int, int]]
Where = Callable[[], tuple[int, int]]


def order_chunks(
    header: list[str], rows: Iterator[tuple[int, list[str]]], where: Where, values: StoredValues
) -> Iterator[Chunk]:
    """Group and parse every order of the file, `CHUNK_ORDERS` at a time (bad rows ride along)."""
    return _chunks(_Parser(_Columns(header), values), rows, where, CHUNK_ORDERS)


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
        sender.send(("error", portable_error(exc)))
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
