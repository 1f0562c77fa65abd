"""Shopify CSV values the store cannot hold reject their own row (to the rejects file, with its line), and
every other row is kept; files that are not CSV text are refused as a whole. SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rapport.domain.errors import InvalidInput
from rapport.services.ingestion.csv_import import CsvImportReport
from rapport.store.unit_of_work import UnitOfWork

from .conftest import profile_of
from .csv_builders import CUSTOMERS_HEADER, ORDERS_HEADER, order_rows, to_csv
from .test_csv_import import ANA, run, write

Factory = Callable[..., UnitOfWork]


def orders_around(tmp_path: Path, bad: list[dict[str, str]]) -> Path:
    """Order #1001 (line 2), the bad rows (from line 3), then order #1003."""
    rows = order_rows(1001, ANA, [("Apron", 1, "40.00")]) + bad + order_rows(1003, ANA, [("Mug", 1, "12.00")])
    return write(tmp_path, to_csv(ORDERS_HEADER, rows))


def imported_orders(tmp_path: Path, uow_factory: Factory, bad: list[dict[str, str]]) -> CsvImportReport:
    return run("shopify-orders", orders_around(tmp_path, bad), uow_factory, parse_in_child=False)


def ana_orders(uow_factory: Factory) -> list[str]:
    return sorted(o.name for o in profile_of(uow_factory, ANA).recent_orders)


def test_a_total_of_10_to_the_14_rejects_its_row_only(tmp_path: Path, uow_factory: Factory) -> None:
    bad = order_rows(1002, ANA, [("Bowl", 1, "64.00")], Total="100000000000000")
    report = imported_orders(tmp_path, uow_factory, bad)
    assert report.errors == [
        (3, "Total: 100000000000000 is more than the store holds (at most 9999999999.99)")
    ]
    assert ana_orders(uow_factory) == ["#1001", "#1003"]


def test_a_negative_total_rejects_its_row_only(tmp_path: Path, uow_factory: Factory) -> None:
    report = imported_orders(
        tmp_path, uow_factory, order_rows(1002, ANA, [("Bowl", 1, "64.00")], Total="-64.00")
    )
    assert report.errors == [(3, "Total: -64.00 is negative")]
    assert ana_orders(uow_factory) == ["#1001", "#1003"]


def test_a_quantity_over_32_bits_rejects_its_row_only(tmp_path: Path, uow_factory: Factory) -> None:
    report = imported_orders(
        tmp_path, uow_factory, order_rows(1002, ANA, [("Bowl", 10**30, "1.00")], Total="1")
    )
    assert report.errors == [
        (3, f"Lineitem quantity: {10**30} is more than the store holds (at most 2147483647)")
    ]
    assert ana_orders(uow_factory) == ["#1001", "#1003"]


def test_an_invalid_order_email_rejects_its_row_only(tmp_path: Path, uow_factory: Factory) -> None:
    report = imported_orders(tmp_path, uow_factory, order_rows(1002, "not-an-email", [("Bowl", 1, "64.00")]))
    assert report.errors == [(3, "Email: not an e-mail address ('not-an-email')")]
    assert ana_orders(uow_factory) == ["#1001", "#1003"]


def test_a_nul_character_in_an_order_email_rejects_its_row_only(tmp_path: Path, uow_factory: Factory) -> None:
    report = imported_orders(
        tmp_path, uow_factory, order_rows(1002, "bo\x00@example.com", [("Bowl", 1, "6")])
    )
    assert report.errors == [(3, "Email: contains a NUL character")]
    assert ana_orders(uow_factory) == ["#1001", "#1003"]


def test_an_over_long_line_item_title_rejects_its_row_only(tmp_path: Path, uow_factory: Factory) -> None:
    report = imported_orders(tmp_path, uow_factory, order_rows(1002, ANA, [("B" * 501, 1, "64.00")]))
    assert report.errors == [(3, "Lineitem name: 501 characters, more than the store holds (at most 500)")]
    assert ana_orders(uow_factory) == ["#1001", "#1003"]


def test_a_date_after_2199_rejects_its_row_only(tmp_path: Path, uow_factory: Factory) -> None:
    bad = order_rows(1002, ANA, [("Bowl", 1, "64.00")], **{"Created at": "2200-01-01 10:00:00 +0000"})
    report = imported_orders(tmp_path, uow_factory, bad)
    assert report.errors == [
        (3, "Created at: 2200-01-01T10:00:00+00:00 is outside the supported range (years 1970 to 2199)")
    ]
    assert ana_orders(uow_factory) == ["#1001", "#1003"]


def customers_around(tmp_path: Path, bad: dict[str, str]) -> Path:
    rows = [{"Customer ID": "41", "Email": ANA}, bad, {"Customer ID": "43", "Email": "cy@example.com"}]
    return write(tmp_path, to_csv(CUSTOMERS_HEADER, rows))


def known(uow_factory: Factory, *emails: str) -> list[bool]:
    return [profile_of(uow_factory, email).is_known for email in emails]


def test_an_invalid_customer_email_rejects_its_row_only(tmp_path: Path, uow_factory: Factory) -> None:
    path = customers_around(tmp_path, {"Customer ID": "42", "Email": "not-an-email"})
    report = run("shopify-customers", path, uow_factory)
    assert report.errors == [(3, "Email: not an e-mail address ('not-an-email')")]
    assert known(uow_factory, ANA, "cy@example.com") == [True, True]


def test_a_nul_character_in_a_customer_name_rejects_its_row_only(
    tmp_path: Path, uow_factory: Factory
) -> None:
    path = customers_around(tmp_path, {"Customer ID": "42", "Email": "bo@example.com", "First Name": "B\x00"})
    report = run("shopify-customers", path, uow_factory)
    assert report.errors == [(3, "First Name: contains a NUL character")]
    assert known(uow_factory, ANA, "cy@example.com", "bo@example.com") == [True, True, False]


def test_an_over_long_customer_tag_rejects_its_row_only(tmp_path: Path, uow_factory: Factory) -> None:
    path = customers_around(tmp_path, {"Customer ID": "42", "Email": "bo@example.com", "Tags": "t" * 101})
    report = run("shopify-customers", path, uow_factory)
    assert report.errors == [(3, "Tags[0]: 101 characters, more than the store holds (at most 100)")]
    assert known(uow_factory, ANA, "cy@example.com") == [True, True]


def test_a_binary_file_is_refused_as_a_whole(tmp_path: Path, uow_factory: Factory) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)  # what an .xlsx starts like
    with pytest.raises(InvalidInput, match=r"export\.csv: not a CSV text file \(binary byte 0x"):
        run("shopify-orders", path, uow_factory)


def test_a_missing_file_is_refused_naming_it(tmp_path: Path, uow_factory: Factory) -> None:
    with pytest.raises(InvalidInput, match=r"absent\.csv: no such file"):
        run("shopify-customers", tmp_path / "absent.csv", uow_factory)
