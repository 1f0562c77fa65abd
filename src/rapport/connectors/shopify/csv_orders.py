"""Shopify's "Export orders" CSV: rows grouped into orders (continuation rows repeat `Name` and carry
only the `Lineitem ...` columns), parsed by column position, loaded in batches by the store's
`OrderBulkRepository`.

Per row the importer does as little as it can: fields are read by position, and each distinct raw
value of a date, amount, quantity or status is parsed (and converted for the database) once. Every
row is still validated: a value seen before was valid, a new one is parsed and checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from typing import TYPE_CHECKING, Any

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


def load_orders(
    uow_factory: Callable[[], UnitOfWork],
    merchant: str,
    header: list[str],
    rows: Iterator[tuple[int, list[str]]],
    rejects: Rejects,
    report: CsvImportReport,
    batch_size: int,
    tick: Callable[[], None],
) -> None:
    """Group, parse and load every order of the file; a bad row goes to `rejects`, the rest is kept."""
    cols = _Columns(header)
    with uow_factory() as uow:
        parser = _Parser(cols, uow.bulk_orders.values())

    def reject(line: int, reason: str, values: list[str]) -> None:
        rejects.add(line, reason, dict(zip(header, values, strict=False)), report)

    batch: list[BulkOrder] = []
    lines: list[BulkLine] = []
    for line, values, items in _groups(cols, rows, parser, reject):
        try:
            batch.append(parser.order(items[0][0], values))
        except InvalidInput as exc:
            reject(line, exc.message, values)
            continue
        lines += items
        if len(batch) >= batch_size:
            _flush(uow_factory, merchant, batch, lines, report)
            batch, lines = [], []
            tick()
    _flush(uow_factory, merchant, batch, lines, report)
    tick()


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


def _flush(
    uow_factory: Callable[[], UnitOfWork],
    merchant: str,
    batch: list[BulkOrder],
    lines: list[BulkLine],
    report: CsvImportReport,
) -> None:
    if not batch:
        return
    with uow_factory() as uow:
        merchant_id = uow.merchants.get_or_create(slug=merchant)
        report.imported += uow.bulk_orders.load(merchant_id=merchant_id, orders=batch, lines=lines)
        uow.commit()
