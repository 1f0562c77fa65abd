"""Shopify's "Export orders" CSV: rows grouped into orders (continuation rows repeat `Name` and carry
only the `Lineitem ...` columns), parsed by column position, loaded in batches by `OrderLoader`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from rapport.connectors.shopify.bulk_load import OrderLoader, OrderRow
from rapport.connectors.shopify.records import normalise_status, parse_money, parse_time
from rapport.domain.errors import InvalidInput
from rapport.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from rapport.connectors.shopify.csv_import import CsvImportReport, Rejects

Line = tuple[str, int, Decimal, str | None]


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
        self.sku, self.id, self.currency = at.get("Lineitem sku"), at.get("Id"), at.get("Currency")
        self.financial, self.fulfillment = at.get("Financial Status"), at.get("Fulfillment Status")
        self.cancelled = at.get("Cancelled at")

    def get(self, values: list[str], index: int | None) -> str:
        return values[index].strip() if index is not None else ""


Reject = Callable[[int, str, list[str]], None]
Group = tuple[int, list[str], list[Line]]  # first line number, first row, line items


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

    def reject(line: int, reason: str, values: list[str]) -> None:
        rejects.add(line, reason, dict(zip(header, values, strict=False)), report)

    batch: list[OrderRow] = []
    for group in _groups(cols, rows, reject):
        _finish(cols, group, batch, reject)
        if len(batch) >= batch_size:
            _flush(uow_factory, merchant, batch, report)
            batch = []
            tick()
    _flush(uow_factory, merchant, batch, report)
    tick()


def _groups(cols: _Columns, rows: Iterator[tuple[int, list[str]]], reject: Reject) -> Iterator[Group]:
    """Consecutive rows with the same `Name`, as one order; an order whose first row is bad is skipped."""
    current: Group | None = None
    for line, values in rows:
        if len(values) != cols.width:
            reject(line, f"{len(values)} fields where the header has {cols.width}", values)
            continue
        name = values[cols.name]
        if current is not None and name == current[1][cols.name]:
            try:
                current[2].append(_line(cols, values))
            except InvalidInput as exc:
                reject(line, exc.message, values)
            continue
        if current is not None:
            yield current
        current = None
        if not name.strip():
            reject(line, "Name is empty", values)
            continue
        try:
            current = (line, values, [_line(cols, values)])
        except InvalidInput as exc:
            reject(line, exc.message, values)
    if current is not None:
        yield current


def _flush(
    uow_factory: Callable[[], UnitOfWork], merchant: str, batch: list[OrderRow], report: CsvImportReport
) -> None:
    if not batch:
        return
    with uow_factory() as uow:
        merchant_id = uow.merchants.get_or_create(slug=merchant)
        report.imported += OrderLoader(uow, merchant_id=merchant_id).load(batch)
        uow.commit()


def _line(cols: _Columns, values: list[str]) -> Line:
    quantity = values[cols.quantity].strip() or "1"
    if not quantity.isdigit():
        raise InvalidInput(f"Lineitem quantity {quantity!r} is not a whole number")
    try:
        price = Decimal(values[cols.price].strip() or "0")
    except InvalidOperation:
        raise InvalidInput(f"Lineitem price {values[cols.price]!r} is not an amount") from None
    return values[cols.title].strip(), int(quantity), price, cols.get(values, cols.sku) or None


def _finish(cols: _Columns, current: Group, batch: list[OrderRow], reject: Reject) -> None:
    line, values, lines = current
    try:
        created = parse_time(values[cols.created], field="Created at")
        if created is None:
            raise InvalidInput("Created at is empty")
        name = values[cols.name].strip()
        batch.append(
            OrderRow(
                external_id=cols.get(values, cols.id) or f"name:{name}",
                name=name,
                email=values[cols.email].strip().lower() or None,
                created_at=created,
                total=parse_money(values[cols.total], field="Total"),
                currency=cols.get(values, cols.currency) or "USD",
                financial_status=normalise_status(cols.get(values, cols.financial), default="pending"),
                fulfillment_status=normalise_status(
                    cols.get(values, cols.fulfillment), default="unfulfilled"
                ),
                cancelled_at=parse_time(cols.get(values, cols.cancelled), field="Cancelled at"),
                lines=tuple(lines),
            )
        )
    except InvalidInput as exc:
        reject(line, exc.message, values)
