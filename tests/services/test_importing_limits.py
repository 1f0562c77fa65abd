"""JSON Lines values the store cannot hold reject their own line, and every other line is kept.

On SQLite and PostgreSQL (`uow_factory`): each test puts one bad line between good ones and checks that the
good ones ARE stored and the bad one is reported with its number and the field.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from test_importing import NOW, customer, order

from rapport.domain.errors import InvalidInput
from rapport.services.importing import ImportReport, import_jsonl
from rapport.store.unit_of_work import UnitOfWork

Factory = Callable[..., UnitOfWork]


def good_and_bad(bad: dict[str, object]) -> str:
    """A good customer, a good order, the bad line (line 3), then another good order."""
    records = [customer("c-1", "ana@example.com"), order(1, "c-1"), bad, order(2, "c-1")]
    return "".join(json.dumps(r) + "\n" for r in records)


def imported(uow_factory: Factory, tmp_path: Path, text: str | bytes) -> ImportReport:
    path = tmp_path / "store.jsonl"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return import_jsonl(uow_factory, path=path, merchant="acme")


def orders_of_ana(uow_factory: Factory) -> int:
    with uow_factory() as uow:
        merchant_id = uow.merchants.get_or_create("acme")
        return uow.profiles.get_profile(
            merchant_id=merchant_id, email="ana@example.com", now=NOW
        ).orders_count


def assert_only_line_3_rejected(report: ImportReport, uow_factory: Factory, message: str) -> None:
    assert report.errors == [(3, message)]
    assert orders_of_ana(uow_factory) == 2


def test_a_quantity_of_10_to_the_30_rejects_its_line_only(uow_factory: Factory, tmp_path: Path) -> None:
    bad = order(3, "c-1", line_items=[{"title": "Mug", "quantity": 10**30, "price": "1.00"}])
    report = imported(uow_factory, tmp_path, good_and_bad(bad))
    assert_only_line_3_rejected(
        report,
        uow_factory,
        f"order: line_items[0].quantity: {10**30} is more than the store holds (at most 2147483647)",
    )


def test_a_quantity_just_over_32_bits_rejects_its_line_only(uow_factory: Factory, tmp_path: Path) -> None:
    bad = order(3, "c-1", line_items=[{"title": "Mug", "quantity": 2**31, "price": "1.00"}])
    report = imported(uow_factory, tmp_path, good_and_bad(bad))
    assert [n for n, _ in report.errors] == [3]
    assert orders_of_ana(uow_factory) == 2


def test_a_total_of_10_to_the_14_rejects_its_line_only(uow_factory: Factory, tmp_path: Path) -> None:
    report = imported(uow_factory, tmp_path, good_and_bad(order(3, "c-1", total=10**14)))
    assert_only_line_3_rejected(
        report,
        uow_factory,
        "order: total: 100000000000000 is more than the store holds (at most 9999999999.99)",
    )


def test_a_negative_total_rejects_its_line_only(uow_factory: Factory, tmp_path: Path) -> None:
    report = imported(uow_factory, tmp_path, good_and_bad(order(3, "c-1", total="-5.00")))
    assert_only_line_3_rejected(report, uow_factory, "order: total: -5.00 is negative")


def test_loyalty_points_over_32_bits_reject_their_line_only(uow_factory: Factory, tmp_path: Path) -> None:
    bad = customer("c-2", "bo@example.com", loyalty_points=2**63)
    report = imported(uow_factory, tmp_path, good_and_bad(bad))
    assert_only_line_3_rejected(
        report,
        uow_factory,
        f"customer: loyalty_points: {2**63} is more than the store holds (at most 2147483647)",
    )


@pytest.mark.parametrize("field", ["first_name", "email"])
def test_a_nul_character_in_a_customer_rejects_its_line_only(
    uow_factory: Factory, tmp_path: Path, field: str
) -> None:
    bad = {**customer("c-2", "bo@example.com"), field: "bo\x00@example.com"}
    report = imported(uow_factory, tmp_path, good_and_bad(bad))
    assert_only_line_3_rejected(report, uow_factory, f"customer: {field}: contains a NUL character")


def test_a_nul_character_in_a_line_item_title_rejects_its_line_only(
    uow_factory: Factory, tmp_path: Path
) -> None:
    bad = order(3, "c-1", line_items=[{"title": "Mug\x00", "price": "1.00"}])
    report = imported(uow_factory, tmp_path, good_and_bad(bad))
    assert_only_line_3_rejected(report, uow_factory, "order: line_items[0].title: contains a NUL character")


def test_an_over_long_name_rejects_its_line_only(uow_factory: Factory, tmp_path: Path) -> None:
    bad = customer("c-2", "bo@example.com", last_name="x" * 201)
    report = imported(uow_factory, tmp_path, good_and_bad(bad))
    assert_only_line_3_rejected(
        report, uow_factory, "customer: last_name: 201 characters, more than the store holds (at most 200)"
    )


def test_an_over_long_order_status_rejects_its_line_only(uow_factory: Factory, tmp_path: Path) -> None:
    report = imported(uow_factory, tmp_path, good_and_bad(order(3, "c-1", financial_status="p" * 41)))
    assert_only_line_3_rejected(
        report,
        uow_factory,
        "order: financial_status: 41 characters, more than the store holds (at most 40)",
    )


def test_a_date_before_1970_rejects_its_line_only(uow_factory: Factory, tmp_path: Path) -> None:
    report = imported(uow_factory, tmp_path, good_and_bad(order(3, "c-1", created_at="1969-12-31T00:00:00")))
    assert_only_line_3_rejected(
        report,
        uow_factory,
        "order: created_at: 1969-12-31T00:00:00+00:00 is outside the supported range (years 1970 to 2199)",
    )


def test_a_contact_granting_more_than_the_store_holds_rejects_its_line_only(
    uow_factory: Factory, tmp_path: Path
) -> None:
    bad = {"kind": "contact", "id": "k-1", "customer_id": "c-1", "created_at": "2026-09-01T10:00:00+00:00",
           "intent": "late_delivery", "granted": {"offer": "refund", "amount": "1e12"}}  # fmt: skip
    report = imported(uow_factory, tmp_path, good_and_bad(bad))
    assert_only_line_3_rejected(
        report,
        uow_factory,
        "contact: granted.amount: 1E+12 is more than the store holds (at most 9999999999.99)",
    )


def test_a_subscription_in_a_four_letter_currency_rejects_its_line_only(
    uow_factory: Factory, tmp_path: Path
) -> None:
    bad = {"kind": "subscription", "id": "s-1", "customer_id": "c-1", "status": "active", "currency": "EURO"}
    report = imported(uow_factory, tmp_path, good_and_bad(bad))
    assert_only_line_3_rejected(
        report, uow_factory, "subscription: currency: not a 3-letter currency code ('EURO')"
    )


def test_an_over_long_customer_reference_is_reported_not_looked_up(
    uow_factory: Factory, tmp_path: Path
) -> None:
    report = imported(uow_factory, tmp_path, good_and_bad(order(3, "c\x00" * 60)))
    assert_only_line_3_rejected(report, uow_factory, "order: customer_id: contains a NUL character")


def test_a_file_starting_with_a_utf8_byte_order_mark_imports_its_first_line(
    uow_factory: Factory, tmp_path: Path
) -> None:
    report = imported(uow_factory, tmp_path, codecs.BOM_UTF8 + good_and_bad(order(3, "c-1")).encode())
    assert (report.errors, orders_of_ana(uow_factory)) == ([], 3)


def test_a_binary_file_is_refused_as_a_whole(uow_factory: Factory, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"store\.jsonl: not a JSON Lines file \(it holds binary data\)"):
        imported(uow_factory, tmp_path, b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)))


def test_a_missing_file_is_refused_naming_it(uow_factory: Factory, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"absent\.jsonl: cannot read"):
        import_jsonl(uow_factory, path=tmp_path / "absent.jsonl", merchant="acme")
