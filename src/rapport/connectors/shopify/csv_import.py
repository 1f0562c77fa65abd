"""Shopify admin CSV exports (customers, orders) read as records: streamed, bad rows to a rejects file.

Writing them is the use case `rapport.services.ingestion.csv_import.import_shopify_csv`.

Orders exports give one row per line item; the continuation rows of an order repeat `Name` and fill
only the `Lineitem ...` columns. Both customer export formats (with and without `Customer ID`) work.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from pathlib import Path
from typing import IO, Any

from rapport.connectors.shopify.csv_orders import Chunk, can_parse_in_child, order_chunks, parsed_in_child
from rapport.connectors.shopify.records import split_tags
from rapport.domain.errors import InvalidInput
from rapport.domain.limits_of_store import checked
from rapport.domain.records import BulkLine, BulkOrder, CustomerRecord, StoredValues

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


class ShopifyCsvExports:
    """Shopify's admin CSV exports, opened for reading (`rapport.services.ingestion.ports.CsvExports`)."""

    def open(self, kind: str, path: Path) -> CsvExportFile:
        kind = kind.removeprefix("shopify-")
        if kind not in REQUIRED:
            raise InvalidInput(f"unknown Shopify export {kind!r}; use shopify-customers or shopify-orders")
        if not path.is_file():
            raise InvalidInput(f"{path}: no such file")
        try:
            return CsvExportFile(kind, path)
        except OSError as exc:
            raise InvalidInput(f"{path}: cannot read ({exc.strerror or exc})") from None

    def can_parse_in_child(self) -> bool:
        return can_parse_in_child()


class CsvExportFile:
    """One export being read: its records, and its bad rows written to `FILE.rejects.csv` as they come."""

    def __init__(self, kind: str, path: Path) -> None:
        self.kind, self.path = kind, path
        self.encoding = detect_encoding(path)
        self.size = path.stat().st_size
        self.rows = 0
        self.rejected = 0
        self.errors: list[tuple[int, str]] = []  # the first few, for the console
        self._rejects = Rejects(path)
        self._stack = ExitStack()

    def __enter__(self) -> CsvExportFile:
        self._handle = self._stack.enter_context(self.path.open(encoding=self.encoding, newline=""))
        self._stack.enter_context(self._rejects)
        self.header, self._rows = read_rows(self._handle, self.path, self.kind, self)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    @property
    def rejects_path(self) -> Path | None:
        return self._rejects.path if self.rejected else None

    def position(self) -> int:
        """Bytes read so far (by whichever process reads the file)."""
        return int(self._handle.buffer.tell())  # type: ignore[attr-defined]

    def reject(self, line: int, reason: str, values: list[str]) -> None:
        self._rejects.add(line, reason, dict(zip(self.header, values, strict=False)), self)

    def customers(self) -> Iterator[CustomerRecord]:
        """The customers of a customers export; bad rows are rejected on the way."""
        header = self.header
        for line, values in self._rows:
            row = dict(zip(header, values, strict=False))
            try:
                if len(values) != len(header):
                    raise InvalidInput(f"{len(values)} fields where the header has {len(header)}")
                yield customer_from_csv(row)
            except InvalidInput as exc:
                self._rejects.add(line, exc.message, row, self)

    @contextmanager
    def order_chunks(
        self, values: StoredValues, *, in_child: bool
    ) -> Iterator[Iterator[tuple[list[BulkOrder], list[BulkLine], int]]]:
        """(orders, line items, bytes read) of an orders export, a chunk at a time; with `in_child` the
        file is read and parsed in a forked process while the caller writes."""

        def where() -> tuple[int, int]:  # rows and bytes read, in whichever process reads the file
            return self.rows, self.position()

        chunks = order_chunks(self.header, self._rows, where, values)
        with parsed_in_child(chunks) if in_child else nullcontext(chunks) as ready:
            yield self._received(ready)

    def _received(self, chunks: Iterator[Chunk]) -> Iterator[tuple[list[BulkOrder], list[BulkLine], int]]:
        for orders, lines, bad, (rows, position) in chunks:
            for line, reason, values in bad:
                self.reject(line, reason, values)
            self.rows = rows
            yield orders, lines, position


def detect_encoding(path: Path) -> str:
    """utf-8 (with or without BOM) when the bytes decode as such, else Windows-1252 (Excel's default).

    A file that is neither (bytes Windows-1252 does not define, or NUL bytes, which no text export
    holds) is binary: `InvalidInput`, before anything is imported."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as raw:
        head = raw.read(3)
        try:
            decoder.decode(head)
            while chunk := raw.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return _single_byte(path)
    return "utf-8-sig" if head == codecs.BOM_UTF8 else "utf-8"


def _single_byte(path: Path) -> str:
    decoder = codecs.getincrementaldecoder("cp1252")()
    read = 0
    with path.open("rb") as raw:
        while chunk := raw.read(1 << 20):
            at = chunk.find(b"\x00")  # NUL is defined in Windows-1252, but no text export holds one
            if at < 0:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    at = exc.start
            if at >= 0:
                raise InvalidInput(
                    f"{path}: not a CSV text file (binary byte 0x{chunk[at]:02x} at offset {read + at}, "
                    "neither UTF-8 nor Windows-1252 text; is it a spreadsheet or another binary file?)"
                )
            read += len(chunk)
    return "cp1252"


def read_rows(
    handle: IO[str], path: Path, kind: str, report: CsvExportFile
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

    def add(self, line: int, reason: str, row: dict[str, str], report: CsvExportFile) -> None:
        if self._writer is None:
            self._handle = self.path.open("w", encoding="utf-8", newline="")
            self._writer = csv.writer(self._handle)
            self._writer.writerow(["line", "reason", "row"])
        self._writer.writerow([line, reason, " | ".join(f"{k}={v}" for k, v in row.items() if v)])
        report.rejected += 1
        if len(report.errors) < 20:
            report.errors.append((line, reason))


def customer_from_csv(row: dict[str, str]) -> CustomerRecord:
    """A row of either customers export (the older one has no `Customer ID`: known by e-mail)."""
    email = row.get("Email", "").strip().lower()
    external_id = row.get("Customer ID", "").strip().lstrip("'") or None
    if not email and not external_id:
        raise InvalidInput("neither Email nor Customer ID is set")
    marketing = row.get("Accepts Email Marketing", row.get("Accepts Marketing", "")).strip().lower()
    metafields = tuple((m.group(1), v) for k, v in row.items() if v and (m := METAFIELD.search(k)))
    record = CustomerRecord(
        external_id=external_id,
        email=email or None,
        first_name=row.get("First Name") or None,
        last_name=row.get("Last Name") or None,
        tags=split_tags(row.get("Tags")),
        accepts_marketing=marketing in ("yes", "true"),
        metafields=metafields,
    )
    checked(record.problem(CUSTOMER_COLUMNS))  # what the store cannot hold rejects this row
    return record


# The export's names of the fields a customer problem can name.
CUSTOMER_COLUMNS = {
    "external_id": "Customer ID",
    "email": "Email",
    "first_name": "First Name",
    "last_name": "Last Name",
    "tags": "Tags",
}
