"""Shopify admin CSV exports (customers, orders) into the store: streamed, bad rows to a rejects file.

Orders exports give one row per line item; the continuation rows of an order repeat `Name` and fill
only the `Lineitem ...` columns. Both customer export formats (with and without `Customer ID`) work.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from rapport.config import Settings
from rapport.connectors.shopify.csv_orders import OrderSink, can_parse_in_child, load_orders
from rapport.connectors.shopify.records import ShopifyCustomer, split_tags
from rapport.connectors.shopify.signals import SignalRules
from rapport.connectors.shopify.writer import StoreWriter
from rapport.domain.errors import InvalidInput
from rapport.services.importing import fewer_gc_pauses
from rapport.store.unit_of_work import UnitOfWork, units_of_work

REQUIRED = {
    "customers": ("Email",),
    "orders": (
        "Name",
        "Email",
        "Created at",
        "Total",
        "Lineitem quantity",
        "Lineitem name",
        "Lineitem price",
    ),
}
METAFIELD = re.compile(r"\(customer\.metafields\.([\w-]+\.[\w-]+)\)\s*$")
Progress = Callable[[int, int], None]  # (bytes read, file size)


@dataclass
class CsvImportReport:
    """What an import did; `rejected` rows are in `rejects_path` with their line number and reason."""

    kind: str
    path: Path
    rows: int = 0
    imported: int = 0  # customers or orders written
    rejected: int = 0
    encoding: str = "utf-8"
    rejects_path: Path | None = None
    errors: list[tuple[int, str]] = field(default_factory=list)  # the first few, for the console


def import_shopify_csv(
    kind: str,
    path: Path,
    settings: Settings,
    *,
    uow_factory: Callable[[], UnitOfWork] | None = None,
    now: datetime | None = None,
    rules: SignalRules | None = None,
    progress: Progress | None = None,
    batch_size: int = 20_000,
    parse_in_child: bool | None = None,
) -> CsvImportReport:
    """Import `path`, a Shopify "Export customers" (kind `customers`) or "Export orders" (`orders`) CSV.

    Orders are parsed in a forked process while this one writes, where forking is available
    (`parse_in_child` None); True or False chooses."""
    kind = kind.removeprefix("shopify-")
    if kind not in REQUIRED:
        raise InvalidInput(f"unknown Shopify export {kind!r}; use shopify-customers or shopify-orders")
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    if uow_factory is None:
        uow_factory = units_of_work(settings.database_url)
    report = CsvImportReport(kind=kind, path=path, encoding=detect_encoding(path))
    importer = _Importer(
        uow_factory, settings.merchant, rules or SignalRules(), now or datetime.now(UTC), report
    )
    with (
        path.open(encoding=report.encoding, newline="") as handle,
        Rejects(path) as rejects,
        fewer_gc_pauses(),
    ):
        header, rows = read_rows(handle, path, kind, report)
        size = path.stat().st_size

        def moved(position: int) -> None:
            if progress:
                progress(position, size)

        def where() -> tuple[int, int]:  # rows and bytes read, in whichever process reads the file
            return report.rows, handle.buffer.tell()  # type: ignore[attr-defined]

        if kind == "customers":
            importer.customers(header, rows, rejects, batch_size, lambda: moved(where()[1]))
        else:
            sink = OrderSink(uow_factory, settings.merchant, header, rejects, report, batch_size, moved)
            in_child = can_parse_in_child() if parse_in_child is None else parse_in_child
            load_orders(uow_factory, header, rows, where, sink, in_child=in_child)
            moved(size)
        report.rejects_path = rejects.path if report.rejected else None
    return report


def detect_encoding(path: Path) -> str:
    """utf-8 (with or without BOM) when the bytes decode as such, else Windows-1252 (Excel's default)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as raw:
        head = raw.read(3)
        try:
            decoder.decode(head)
            while chunk := raw.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8-sig" if head == codecs.BOM_UTF8 else "utf-8"


def read_rows(
    handle: IO[str], path: Path, kind: str, report: CsvImportReport
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header (checked for the kind's required columns) and (line number, fields) of each row."""
    reader = csv.reader(handle)
    header = [h.strip() for h in next(reader, [])]
    missing = [c for c in REQUIRED[kind] if c not in header]
    if missing:
        raise InvalidInput(f"{path}:1: not a Shopify {kind} export: missing column(s) {', '.join(missing)}")

    def rows() -> Iterator[tuple[int, list[str]]]:
        start = reader.line_num + 1
        try:
            for values in reader:
                line, start = start, reader.line_num + 1  # a quoted newline makes a row span several lines
                report.rows += 1
                yield line, values
        except csv.Error as exc:  # the file cannot be read past here (e.g. a field over the size limit)
            raise InvalidInput(f"{path}:{start}: unreadable CSV: {exc}") from None

    return header, rows()


class Rejects:
    """`FILE.rejects.csv`: line, reason and the row's fields, created on the first bad row."""

    def __init__(self, source: Path) -> None:
        self.path = source.with_name(source.name + ".rejects.csv")
        self._handle: IO[str] | None = None
        self._writer: Any = None

    def __enter__(self) -> Rejects:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle:
            self._handle.close()

    def add(self, line: int, reason: str, row: dict[str, str], report: CsvImportReport) -> None:
        if self._writer is None:
            self._handle = self.path.open("w", encoding="utf-8", newline="")
            self._writer = csv.writer(self._handle)
            self._writer.writerow(["line", "reason", "row"])
        self._writer.writerow([line, reason, " | ".join(f"{k}={v}" for k, v in row.items() if v)])
        report.rejected += 1
        if len(report.errors) < 20:
            report.errors.append((line, reason))


class _Importer:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        merchant: str,
        rules: SignalRules,
        now: datetime,
        report: CsvImportReport,
    ) -> None:
        self.uow_factory, self.merchant, self.rules, self.now, self.report = (
            uow_factory,
            merchant,
            rules,
            now,
            report,
        )

    def customers(
        self,
        header: list[str],
        rows: Iterator[tuple[int, list[str]]],
        rejects: Rejects,
        size: int,
        tick: Callable[[], None],
    ) -> None:
        batch: list[ShopifyCustomer] = []
        for line, values in rows:
            row = dict(zip(header, values, strict=False))
            try:
                if len(values) != len(header):
                    raise InvalidInput(f"{len(values)} fields where the header has {len(header)}")
                batch.append(_customer(row))
            except InvalidInput as exc:
                rejects.add(line, exc.message, row, self.report)
            if len(batch) >= size:
                self._write(customers=batch)
                batch = []
                tick()
        self._write(customers=batch)
        tick()

    def _write(self, *, customers: list[ShopifyCustomer]) -> None:
        if not customers:
            return
        with self.uow_factory() as uow:
            merchant_id = uow.merchants.get_or_create(slug=self.merchant)
            writer = StoreWriter(uow, merchant_id=merchant_id, rules=self.rules, now=self.now)
            writer.customers(customers, only_newer=False)
            uow.commit()
        self.report.imported += writer.counts.customers


def _customer(row: dict[str, str]) -> ShopifyCustomer:
    email = row.get("Email", "").strip().lower()
    external_id = row.get("Customer ID", "").strip().lstrip("'") or None
    if not email and not external_id:
        raise InvalidInput("neither Email nor Customer ID is set")
    marketing = row.get("Accepts Email Marketing", row.get("Accepts Marketing", "")).strip().lower()
    metafields = tuple((m.group(1), v) for k, v in row.items() if v and (m := METAFIELD.search(k)))
    return ShopifyCustomer(
        external_id=external_id,
        email=email or None,
        first_name=row.get("First Name") or None,
        last_name=row.get("Last Name") or None,
        tags=split_tags(row.get("Tags")),
        accepts_marketing=marketing in ("yes", "true"),
        metafields=metafields,
    )
