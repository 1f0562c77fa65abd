"""Importing JSON Lines: idempotent, forgiving of bad lines, merchant-scoped; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from rapport.domain import CustomerProfile
from rapport.domain.errors import InvalidInput
from rapport.domain.records import CustomerRecord, UpsertOutcome
from rapport.services.importing import ImportReport, import_jsonl
from rapport.store.database import session_factory
from rapport.store.models import Order, OrderLineItem
from rapport.store.repositories import CustomerRepository
from rapport.store.unit_of_work import UnitOfWork

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

SAMPLE = """\
{"kind": "customer", "id": "c-1", "email": "dana.lee@example.com", "first_name": "Dana", "last_name": "Lee", "created_at": "2024-02-01T10:00:00+00:00", "tags": ["loyalty"]}
{"kind": "order", "id": 9001, "customer_id": "c-1", "name": "#9001", "created_at": "2026-10-30T10:00:00+00:00", "total": "64.00", "currency": "USD", "financial_status": "paid", "fulfillment_status": "fulfilled", "line_items": [{"title": "Stoneware bowl set", "quantity": 1, "price": "64.00"}]}
{"kind": "contact", "id": "k-1", "customer_id": "c-1", "created_at": "2026-09-01T10:00:00+00:00", "intent": "late_delivery", "outcome": "resolved", "granted": {"offer": "store_credit", "amount": "10.00", "currency": "USD"}}
{"kind": "subscription", "id": "s-1", "customer_id": "c-1", "status": "active", "next_billing_at": "2026-12-01T10:00:00+00:00", "product": "Monthly ceramics club", "price": "29.00", "currency": "USD"}
"""  # noqa: E501 - the exact sample of docs/import-format.md


def write(tmp_path: Path, text: str, name: str = "store.jsonl") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def lines(*records: dict[str, object] | str) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def customer(cid: str, email: str, **fields: object) -> dict[str, object]:
    return {"kind": "customer", "id": cid, "email": email, **fields}


def order(oid: int, cid: str, **fields: object) -> dict[str, object]:
    return {"kind": "order", "id": oid, "customer_id": cid, "created_at": "2026-11-01T10:00:00+00:00",
            "total": "20.00", "line_items": [{"title": "Mug", "price": "20.00"}], **fields}  # fmt: skip


def run(
    uow_factory: Callable[[], UnitOfWork], path: Path, merchant: str = "acme", **kwargs: object
) -> ImportReport:
    return import_jsonl(uow_factory, path=path, merchant=merchant, **kwargs)  # type: ignore[arg-type]


def profile(uow_factory: Callable[[], UnitOfWork], email: str, merchant: str = "acme") -> CustomerProfile:
    with uow_factory() as uow:
        merchant_id = uow.merchants.get_or_create(merchant)
        return uow.profiles.get_profile(merchant_id=merchant_id, email=email, now=NOW)


def counts(report: ImportReport) -> dict[str, tuple[int, int]]:
    return {kind: (c.inserted, c.updated) for kind, c in report.counts.items()}


def test_the_documented_sample_imports_every_record(
    uow_factory: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    report = run(uow_factory, write(tmp_path, SAMPLE))
    assert report.errors == []
    assert counts(report) == {"customer": (1, 0), "order": (1, 0), "subscription": (1, 0), "contact": (1, 0)}


def test_the_imported_sample_makes_the_customers_profile(
    uow_factory: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    run(uow_factory, write(tmp_path, SAMPLE))
    card = profile(uow_factory, "Dana.Lee@example.com")
    assert (card.first_name, card.orders_count, str(card.total_spent), card.tags) == (
        "Dana",
        1,
        "64.00",
        ("loyalty",),
    )
    assert (card.has_active_subscription, card.contacts_last_90d, str(card.credits_last_90d)) == (
        True,
        1,
        "10.00",
    )


def test_importing_twice_updates_every_record_and_duplicates_none(
    uow_factory: Callable[[], UnitOfWork], engine: Engine, tmp_path: Path
) -> None:
    path = write(tmp_path, SAMPLE)
    run(uow_factory, path)
    again = run(uow_factory, path)
    assert counts(again) == {"customer": (0, 1), "order": (0, 1), "subscription": (0, 1), "contact": (0, 1)}
    with engine.connect() as connection:
        orders = connection.execute(select(func.count(Order.id))).scalar()
        items = connection.execute(select(func.count(OrderLineItem.id))).scalar()
    assert (orders, items) == (1, 1)


def test_a_changed_order_replaces_its_line_items(
    uow_factory: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    run(uow_factory, write(tmp_path, lines(customer("c-1", "a@example.com"), order(1, "c-1"))))
    items = [
        {"title": "Kettle", "price": "80.00"},
        {"title": "Tea towel set", "quantity": 2, "price": "9.00"},
    ]
    run(uow_factory, write(tmp_path, lines(order(1, "c-1", total="98.00", line_items=items))))
    card = profile(uow_factory, "a@example.com")
    assert card.last_order is not None
    assert [(i.title, i.quantity) for i in card.last_order.line_items] == [
        ("Kettle", 1),
        ("Tea towel set", 2),
    ]


def test_bad_lines_are_reported_by_number_and_good_lines_still_land(
    uow_factory: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    text = lines(
        customer("c-1", "a@example.com"),
        "not json at all",
        {"kind": "gift", "id": "g-1"},
        order(1, "c-1", total="oops"),
        order(2, "c-1", created_at="last tuesday"),
        {"kind": "order", "id": 3, "customer_id": "c-1", "total": "5.00"},
        order(4, "c-1"),
    )
    report = run(uow_factory, write(tmp_path, text))
    assert [number for number, _ in report.errors] == [2, 3, 4, 5, 6]
    assert (report.counts["customer"].inserted, report.counts["order"].inserted) == (1, 1)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{oops", "not valid JSON"),
        ('{"kind": "gift"}', "unknown kind 'gift' (expected one of customer, order, subscription, contact)"),
        ('{"id": "x"}', 'missing "kind"'),
        (json.dumps(order(1, "c-1", total="oops")), "order: total: not a number"),
        (json.dumps(order(1, "c-1", created_at="soon")), "order: created_at: not an ISO 8601 date-time"),
        (
            json.dumps({"kind": "order", "id": 1, "customer_id": "c-1", "total": "1"}),
            "order: created_at: missing",
        ),
        (json.dumps(customer("c-2", "not-an-email")), "customer: email: not an e-mail address"),
        (
            json.dumps(order(1, "c-1", line_items=[{"title": "x", "price": "-1"}])),
            "order: line_items[0].price:",
        ),
    ],
)
def test_a_bad_line_gets_a_message_naming_the_field(
    uow_factory: Callable[[], UnitOfWork], tmp_path: Path, line: str, message: str
) -> None:
    report = run(uow_factory, write(tmp_path, lines(customer("c-1", "a@example.com"), line)))
    [(number, text)] = report.errors
    assert number == 2
    assert text.startswith(message)


def test_a_reference_to_an_unknown_customer_is_an_error(
    uow_factory: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    report = run(uow_factory, write(tmp_path, lines(order(1, "c-404"))))
    assert report.errors == [(1, "order: customer_id: no customer 'c-404' in this store or file")]


def test_a_customer_defined_later_in_the_file_is_found(
    uow_factory: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    text = lines(order(1, "c-late"), *(customer(f"c-{i}", f"p{i}@example.com") for i in range(5)))
    text += lines(customer("c-late", "late@example.com"))
    report = run(uow_factory, write(tmp_path, text), batch_size=2)
    assert report.errors == []
    assert profile(uow_factory, "late@example.com").orders_count == 1


def test_a_customer_imported_earlier_can_be_referenced(
    uow_factory: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    run(uow_factory, write(tmp_path, lines(customer("c-1", "a@example.com"))))
    report = run(uow_factory, write(tmp_path, lines(order(1, "c-1"))))
    assert (report.errors, report.counts["order"].inserted) == ([], 1)


def test_an_email_already_used_by_another_customer_is_the_same_person(
    uow_factory: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    text = lines(customer("c-1", "a@example.com"), customer("c-2", "A@example.com", first_name="Ann"))
    text += lines(order(1, "c-2"))
    report = run(uow_factory, write(tmp_path, text))
    assert (report.errors, counts(report)["customer"]) == ([], (1, 1))
    card = profile(uow_factory, "a@example.com")
    assert (card.first_name, card.orders_count) == ("Ann", 1)


def test_a_known_id_taking_the_email_of_another_customer_is_refused(
    uow_factory: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    run(
        uow_factory,
        write(tmp_path, lines(customer("c-1", "a@example.com"), customer("c-2", "b@example.com"))),
    )
    report = run(uow_factory, write(tmp_path, lines(customer("c-2", "A@example.com"))))
    assert report.errors == [(1, "customer: email: a@example.com already belongs to customer 'c-1'")]


def test_a_customer_of_one_merchant_is_invisible_to_another(
    uow_factory: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    run(uow_factory, write(tmp_path, SAMPLE), merchant="acme")
    assert profile(uow_factory, "dana.lee@example.com", merchant="acme").is_known
    assert not profile(uow_factory, "dana.lee@example.com", merchant="globex").is_known


def test_the_same_ids_in_two_merchants_are_two_records(
    uow_factory: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    path = write(tmp_path, SAMPLE)
    run(uow_factory, path, merchant="acme")
    report = run(uow_factory, path, merchant="globex")
    assert report.counts["order"].inserted == 1


def test_progress_reports_bytes_read_up_to_the_whole_file(
    uow_factory: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    path = write(tmp_path, SAMPLE)
    seen: list[int] = []
    run(uow_factory, path, progress=seen.append, batch_size=2)
    assert seen == sorted(seen)
    assert seen[-1] == path.stat().st_size


def test_a_missing_file_is_a_clear_error(uow_factory: Callable[[], UnitOfWork], tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="nope.jsonl"):
        run(uow_factory, tmp_path / "nope.jsonl")


def test_blank_lines_are_skipped_without_error(uow_factory: Callable[[], UnitOfWork], tmp_path: Path) -> None:
    report = run(uow_factory, write(tmp_path, "\n" + SAMPLE + "\n\n"))
    assert (report.errors, report.records) == ([], 4)


class RefusingCustomers(CustomerRepository):
    """The real repository, except that the database refuses the customer "boom" (the store turns the
    driver's error into `RecordRefused`)."""

    def _upsert_many(self, merchant_id: int, records: Sequence[CustomerRecord]) -> UpsertOutcome:
        if any(r.external_id == "boom" for r in records):
            raise IntegrityError("INSERT INTO customers ...", {}, Exception("value violates a constraint"))
        return super()._upsert_many(merchant_id, records)


class RefusingUnitOfWork(UnitOfWork):
    def __enter__(self) -> UnitOfWork:
        super().__enter__()
        self.customers = RefusingCustomers(self.customers.session)
        return self


def test_a_record_the_database_refuses_does_not_keep_the_rest_of_its_batch_out(
    engine: Engine, tmp_path: Path
) -> None:
    sessions = session_factory(engine)
    text = lines(customer("c-1", "a@example.com"), customer("boom", "b@example.com"), order(1, "c-1"))
    report = run(lambda **_: RefusingUnitOfWork(sessions), write(tmp_path, text))
    assert report.errors == [(2, "customer: could not be stored: value violates a constraint")]
    assert (report.counts["customer"].inserted, report.counts["order"].inserted) == (1, 1)
