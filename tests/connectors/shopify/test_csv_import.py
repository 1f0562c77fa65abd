"""Shopify admin CSV exports into a real database: both customer formats, multi-row orders, bad rows."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rapport.connectors.shopify import csv_orders
from rapport.connectors.shopify.csv_import import ShopifyCsvExports
from rapport.domain.errors import InvalidInput
from rapport.domain.signals import SignalRules
from rapport.services.ingestion.csv_import import CsvImportReport, import_shopify_csv
from rapport.store.repositories.bulk_orders import OrderBulkRepository
from rapport.store.unit_of_work import UnitOfWork

from .conftest import NOW, profile_of
from .csv_builders import CUSTOMERS_HEADER, OLD_CUSTOMERS_HEADER, ORDERS_HEADER, order_rows, to_csv

ANA = "ana@example.com"


def run(kind: str, path: Path, uow_factory: Callable[[], UnitOfWork], **options: Any) -> CsvImportReport:
    options.setdefault("rules", SignalRules())
    return import_shopify_csv(
        uow_factory, ShopifyCsvExports(), kind=kind, path=path, merchant="default", now=NOW, **options
    )


def write(tmp_path: Path, text: str, *, name: str = "export.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def two_orders(tmp_path: Path) -> Path:
    rows = order_rows(1001, ANA, [("Linen apron", 2, "40.00"), ("Copper kettle", 1, "120.00")])
    rows += order_rows(1002, ANA, [("Stoneware bowl set", 1, "64.00")])
    return write(tmp_path, to_csv(ORDERS_HEADER, rows))


def test_multi_row_orders_become_one_order_with_all_their_line_items(tmp_path: Path, uow_factory) -> None:  # noqa: ANN001
    run("shopify-orders", two_orders(tmp_path), uow_factory)
    profile = profile_of(uow_factory, ANA)
    assert (profile.orders_count, str(profile.total_spent)) == (2, "264.00")
    assert [li.title for li in profile.recent_orders[-1].line_items] == ["Linen apron", "Copper kettle"]


def test_importing_the_same_orders_twice_changes_nothing(tmp_path: Path, uow_factory) -> None:  # noqa: ANN001
    path = two_orders(tmp_path)
    run("shopify-orders", path, uow_factory)
    run("shopify-orders", path, uow_factory)
    assert profile_of(uow_factory, ANA).orders_count == 2


def test_a_bad_row_goes_to_the_rejects_file_with_its_line_and_the_rest_is_imported(
    tmp_path: Path,
    uow_factory,  # noqa: ANN001
) -> None:
    rows = order_rows(1001, ANA, [("Apron", 1, "40.00")], **{"Created at": "yesterday"})
    rows += order_rows(1002, ANA, [("Bowl", 1, "64.00")])
    report = run("shopify-orders", write(tmp_path, to_csv(ORDERS_HEADER, rows)), uow_factory)
    assert (report.imported, report.rejected, report.errors[0][0]) == (1, 1, 2)
    assert "Created at" in report.rejects_path.read_text()


def test_quoted_newlines_keep_the_row_together_and_line_numbers_right(tmp_path: Path, uow_factory) -> None:  # noqa: ANN001
    rows = order_rows(1001, ANA, [("Apron", 1, "40.00")], Notes="leave at\nthe back door")
    rows += order_rows(1002, ANA, [("Bowl", "x", "64.00")])  # type: ignore[list-item]
    report = run("shopify-orders", write(tmp_path, to_csv(ORDERS_HEADER, rows)), uow_factory)
    assert (report.imported, report.errors) == (1, [(4, "Lineitem quantity 'x' is not a whole number")])


def test_a_file_missing_required_columns_is_refused_naming_them(tmp_path: Path, uow_factory) -> None:  # noqa: ANN001
    path = write(tmp_path, "Name,Email\n#1,a@example.com\n")
    with pytest.raises(InvalidInput, match="missing column.*Created at"):
        run("shopify-orders", path, uow_factory)


def test_a_windows_1252_file_is_read_with_its_accents(tmp_path: Path, uow_factory) -> None:  # noqa: ANN001
    text = to_csv(CUSTOMERS_HEADER, [{"Customer ID": "42", "First Name": "Zoë", "Email": ANA}])
    report = run("shopify-customers", write(tmp_path, text, encoding="cp1252"), uow_factory)
    assert (report.encoding, profile_of(uow_factory, ANA).first_name) == ("cp1252", "Zoë")


def test_a_utf8_file_with_a_byte_order_mark_is_read(tmp_path: Path, uow_factory) -> None:  # noqa: ANN001
    text = to_csv(CUSTOMERS_HEADER, [{"Customer ID": "42", "First Name": "Ana", "Email": ANA}])
    run("shopify-customers", write(tmp_path, text, encoding="utf-8-sig"), uow_factory)
    assert profile_of(uow_factory, ANA).first_name == "Ana"


def test_the_older_customer_format_without_ids_is_imported(tmp_path: Path, uow_factory) -> None:  # noqa: ANN001
    text = to_csv(OLD_CUSTOMERS_HEADER, [{"First Name": "Ana", "Email": ANA, "Tags": "vip, subscription"}])
    run("shopify-customers", write(tmp_path, text), uow_factory)
    profile = profile_of(uow_factory, ANA)
    assert (profile.first_name, profile.has_active_subscription) == ("Ana", True)


def test_a_loyalty_metafield_column_sets_the_tier(tmp_path: Path, uow_factory) -> None:  # noqa: ANN001
    row = {"Customer ID": "42", "Email": ANA, "Loyalty tier (customer.metafields.loyalty.tier)": "Silver"}
    run("shopify-customers", write(tmp_path, to_csv(CUSTOMERS_HEADER, [row])), uow_factory)
    assert profile_of(uow_factory, ANA).loyalty_tier == "silver"


def test_orders_imported_before_customers_attach_to_the_same_person(tmp_path: Path, uow_factory) -> None:  # noqa: ANN001
    run("shopify-orders", two_orders(tmp_path), uow_factory)
    customers = to_csv(CUSTOMERS_HEADER, [{"Customer ID": "42", "First Name": "Ana", "Email": ANA}])
    run("shopify-customers", write(tmp_path, customers, name="c.csv"), uow_factory)
    profile = profile_of(uow_factory, ANA)
    assert (profile.first_name, profile.orders_count) == ("Ana", 2)


def mixed_orders(tmp_path: Path) -> Path:
    """Multi-row orders around a bad row, several orders per hand-over when chunks are one order long."""
    rows = order_rows(1001, ANA, [("Apron", 2, "40.00"), ("Kettle", 1, "120.00")])
    rows += order_rows(1002, ANA, [("Bowl", "x", "64.00")])  # type: ignore[list-item]
    rows += order_rows(1003, ANA, [("Mug", 1, "12.00"), ("Tray", 1, "30.00"), ("Jug", 2, "9.00")])
    return write(tmp_path, to_csv(ORDERS_HEADER, rows))


def imported(report: CsvImportReport, uow_factory: Callable[[], UnitOfWork]) -> tuple[Any, ...]:
    profile = profile_of(uow_factory, ANA)
    orders = sorted((o.id, [li.title for li in o.line_items]) for o in profile.recent_orders)
    return report.rows, report.imported, report.errors, orders


@pytest.mark.parametrize("in_child", [True, False], ids=["parsed-in-child", "parsed-in-process"])
def test_orders_split_across_chunks_and_transactions_keep_all_their_line_items(
    tmp_path: Path,
    uow_factory,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
    in_child: bool,
) -> None:
    monkeypatch.setattr(csv_orders, "CHUNK_ORDERS", 1)
    report = run("shopify-orders", mixed_orders(tmp_path), uow_factory, batch_size=1, parse_in_child=in_child)
    assert imported(report, uow_factory) == (
        6,
        2,
        [(4, "Lineitem quantity 'x' is not a whole number")],
        [("5001001", ["Apron", "Kettle"]), ("5001003", ["Mug", "Tray", "Jug"])],
    )


def test_an_unreadable_csv_row_is_refused_naming_its_line(tmp_path: Path, uow_factory) -> None:  # noqa: ANN001
    rows = order_rows(1001, ANA, [("Apron", 1, "40.00")])
    rows += order_rows(1002, ANA, [("Bowl", 1, "64.00")], Notes="x" * 200_000)  # over csv's field limit
    path = write(tmp_path, to_csv(ORDERS_HEADER, rows))
    with pytest.raises(InvalidInput, match=r"export\.csv:3: unreadable CSV"):
        run("shopify-orders", path, uow_factory, parse_in_child=True)


def test_a_failure_while_writing_stops_the_parsing_process_and_is_raised(
    tmp_path: Path,
    uow_factory,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail(*_args: object, **_kwargs: object) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(OrderBulkRepository, "load", fail)
    with pytest.raises(OSError, match="disk full"):
        run("shopify-orders", mixed_orders(tmp_path), uow_factory, parse_in_child=True)
    assert multiprocessing.active_children() == []
