"""Reading the file into checked lines, a chunk at a time: the part of an import that needs no database.

Each line is validated (its pydantic model, `lines.py`), turned into its record and checked against what
the store can hold (`record.problem()`), then kept as a flat tuple of the record's fields (`Prepared`);
the writer rebuilds the record once it knows the customer's row id. That is the whole CPU cost of
parsing, so it can run in another process (`forked.py`) and the tuples cross the pipe.

Crossing a pipe, times and amounts travel as text (`Wire(portable=True)`): a pickled datetime carries
its own time-zone object, and unpickling a hundred thousand of those cost more than parsing the ISO
text again. In the same process they stay as they are.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import IO, Any, NamedTuple

from rapport.domain.limits_of_store import ID_LENGTH, text_problem
from rapport.domain.records import (
    ContactRecord,
    CustomerRecord,
    LineItemRecord,
    OrderRecord,
    SubscriptionRecord,
)
from rapport.services.importing.lines import (
    AnyLine,
    ContactLine,
    CustomerLine,
    OrderLine,
    SubscriptionLine,
    parse_line,
)

# (line number, kind, customer external id, the record's fields as `Wire` sends them). For a customer
# the external id is its own; for the others, the customer the line refers to.
Prepared = tuple[int, str, str, tuple[Any, ...]]
Record = CustomerRecord | OrderRecord | SubscriptionRecord | ContactRecord


class Chunk(NamedTuple):
    """Some lines of the file, checked: the good ones prepared, the bad ones as (line number, message)."""

    items: list[Prepared]
    errors: list[tuple[int, str]]
    lines: int  # non-blank lines read
    position: int  # bytes read so far


def _same(value: Any) -> Any:
    return value


class Wire:
    """How a prepared line's times and amounts travel: as they are, or as exact text (`portable`).

    Portable, the converters are C functions (no Python frame per value); a value that may be None is
    converted as `None if v is None else convert(v)`."""

    def __init__(self, *, portable: bool) -> None:
        self.portable = portable
        self.send_time: Callable[[Any], Any] = datetime.isoformat if portable else _same
        self.send_money: Callable[[Any], Any] = str if portable else _same
        self.time: Callable[[Any], Any] = datetime.fromisoformat if portable else _same
        self.money: Callable[[Any], Any] = Decimal if portable else _same


def read_chunks(lines: IO[bytes], *, currency: str, size: int, wire: Wire) -> Iterator[Chunk]:
    """The file's lines, `size` non-blank lines per chunk, numbered from 1 (a UTF-8 BOM is skipped)."""
    items: list[Prepared] = []
    errors: list[tuple[int, str]] = []
    position = read = 0
    for number, raw in enumerate(lines, start=1):
        position += len(raw)
        if number == 1 and raw.startswith(codecs.BOM_UTF8):  # as spreadsheet programs write
            raw = raw[len(codecs.BOM_UTF8) :]
        if not raw.strip():
            continue
        read += 1
        parsed = parse_line(raw)
        prepared = parsed if isinstance(parsed, str) else prepare(number, parsed, currency, wire)
        if isinstance(prepared, str):
            errors.append((number, prepared))
        else:
            items.append(prepared)
        if read == size:
            yield Chunk(items, errors, read, position)
            items, errors, read = [], [], 0
    yield Chunk(items, errors, read, position)


def prepare(number: int, line: AnyLine, currency: str, wire: Wire) -> Prepared | str:
    """The line's record as a flat tuple, or why the store cannot hold it ("order: total: ...")."""
    if isinstance(line, CustomerLine):
        customer = _customer(line)
        problem = customer.problem()
        if problem is not None:
            return f"customer: {problem}"
        return number, "customer", line.id, _customer_fields(customer, wire)
    # A reference the store cannot hold is not even looked up.
    problem = text_problem(line.customer_id, "customer_id", ID_LENGTH)
    if problem is None:
        record = _dependent(line, currency)
        problem = record.problem()
        if problem is None:
            return number, line.kind, line.customer_id, _fields(record, wire)
    return f"{line.kind}: {problem}"


def record_of(kind: str, fields: tuple[Any, ...], customer_id: int, wire: Wire) -> Record:
    """The record a prepared line stands for, now that its customer's row id is known."""
    t, m = wire.time, wire.money
    if kind == "order":
        ext, name, created, total, cur, paid, shipped, cancelled, updated, items = fields
        return OrderRecord(
            ext, customer_id, name, t(created), m(total), cur, paid, shipped,
            None if cancelled is None else t(cancelled), None if updated is None else t(updated),
            tuple([LineItemRecord(title, quantity, m(price), sku) for title, quantity, price, sku in items]),
        )  # fmt: skip
    if kind == "subscription":
        ext, status, cur, product, price, billing = fields
        return SubscriptionRecord(
            ext, customer_id, status, cur, product, None if price is None else m(price),
            None if billing is None else t(billing),
        )  # fmt: skip
    if kind == "contact":
        ext, created, intent, outcome, offer, amount, granted_currency = fields
        return ContactRecord(
            ext, customer_id, t(created), intent, outcome, offer, None if amount is None else m(amount),
            granted_currency,
        )  # fmt: skip
    raise ValueError(f"not a kind of line that refers to a customer: {kind!r}")


def customer_of(fields: tuple[Any, ...], wire: Wire) -> CustomerRecord:
    """The customer record a prepared customer line stands for."""
    ext, email, first, last, locale, created, tags, tier, points, marketing, updated = fields
    t = wire.time
    return CustomerRecord(
        ext, email, first, last, locale, None if created is None else t(created), tags, tier, points,
        marketing, None if updated is None else t(updated),
    )  # fmt: skip


def _customer(line: CustomerLine) -> CustomerRecord:
    return CustomerRecord(
        external_id=line.id,
        email=line.email,
        first_name=line.first_name,
        last_name=line.last_name,
        locale=line.locale,
        created_at=line.created_at,
        tags=tuple(line.tags),
        loyalty_tier=line.loyalty_tier,
        loyalty_points=line.loyalty_points,
        accepts_marketing=line.accepts_marketing,
        updated_at=line.updated_at,
    )


def _customer_fields(c: CustomerRecord, wire: Wire) -> tuple[Any, ...]:
    t = wire.send_time
    created, updated = c.created_at, c.updated_at
    return (
        c.external_id, c.email, c.first_name, c.last_name, c.locale,
        None if created is None else t(created), c.tags, c.loyalty_tier, c.loyalty_points,
        c.accepts_marketing, None if updated is None else t(updated),
    )  # fmt: skip


def _dependent(line: OrderLine | SubscriptionLine | ContactLine, currency: str) -> Record:
    """The line's record with a placeholder customer (the store's row id is not known yet)."""
    if isinstance(line, OrderLine):
        return OrderRecord(
            external_id=line.id,
            customer_id=0,
            name=line.name or f"#{line.id}",
            created_at=line.created_at,
            total=line.total,
            currency=line.currency or currency,
            financial_status=line.financial_status,
            fulfillment_status=line.fulfillment_status,
            cancelled_at=line.cancelled_at,
            updated_at=line.updated_at,
            line_items=tuple(LineItemRecord(i.title, i.quantity, i.price, i.sku) for i in line.line_items),
        )
    if isinstance(line, SubscriptionLine):
        return SubscriptionRecord(
            external_id=line.id,
            customer_id=0,
            status=line.status,
            currency=line.currency or currency,
            product=line.product,
            price=line.price,
            next_billing_at=line.next_billing_at,
        )
    granted = line.granted
    return ContactRecord(
        external_id=line.id,
        customer_id=0,
        created_at=line.created_at,
        intent=line.intent,
        outcome=line.outcome,
        granted_offer=granted.offer.value if granted else None,
        granted_amount=granted.amount if granted else None,
        granted_currency=(granted.currency or currency) if granted else None,
    )


def _fields(record: Record, wire: Wire) -> tuple[Any, ...]:
    t, m = wire.send_time, wire.send_money
    if isinstance(record, OrderRecord):
        cancelled, updated = record.cancelled_at, record.updated_at
        items = tuple([(i.title, i.quantity, m(i.price), i.sku) for i in record.line_items])
        return (
            record.external_id, record.name, t(record.created_at), m(record.total), record.currency,
            record.financial_status, record.fulfillment_status, None if cancelled is None else t(cancelled),
            None if updated is None else t(updated), items,
        )  # fmt: skip
    if isinstance(record, SubscriptionRecord):
        price, billing = record.price, record.next_billing_at
        return (
            record.external_id, record.status, record.currency, record.product,
            None if price is None else m(price), None if billing is None else t(billing),
        )  # fmt: skip
    assert isinstance(record, ContactRecord)
    amount = record.granted_amount
    return (
        record.external_id, t(record.created_at), record.intent, record.outcome, record.granted_offer,
        None if amount is None else m(amount), record.granted_currency,
    )  # fmt: skip
