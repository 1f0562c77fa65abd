"""Shopify admin CSV exports (customers, orders) into the store, through the ingestion writer.

Reading the file (encodings, multi-row orders, the rejects file, the forked parser) is the connector's
(`CsvExports`); this use case opens the units of work, writes the records with the merchant's signal
rules, and commits a batch at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path

from rapport.domain.records import BulkLine, BulkOrder
from rapport.domain.signals import SignalRules
from rapport.policy import Policy
from rapport.services.importing import fewer_gc_pauses
from rapport.services.ingestion.merchant import Merchant, merchant_of
from rapport.services.ingestion.ports import CsvExport, CsvExports
from rapport.services.ingestion.writer import IngestionWriter
from rapport.services.ports import UnitOfWork, UnitOfWorkFactory

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
    uow_factory: UnitOfWorkFactory,
    exports: CsvExports,
    *,
    kind: str,
    path: Path,
    merchant: Merchant,
    rules: SignalRules,
    now: datetime,
    progress: Progress | None = None,
    batch_size: int = 20_000,
    parse_in_child: bool | None = None,
    policy: Policy | None = None,
) -> CsvImportReport:
    """Import `path`, a Shopify "Export customers" (kind `customers`) or "Export orders" (`orders`) CSV.

    Orders are parsed in a forked process while this one writes, where forking is available
    (`parse_in_child` None); True or False chooses."""
    kind = kind.removeprefix("shopify-")
    with exports.open(kind, path) as export, fewer_gc_pauses():
        with uow_factory(write=isinstance(merchant, str)) as uow:
            merchant_id, currency = merchant_of(uow, merchant)
            uow.commit()
        writer = _Batches(uow_factory, merchant_id, currency, rules, now, policy)

        def moved(position: int) -> None:
            if progress:
                progress(position, export.size)

        if kind == "customers":
            imported = writer.customers(export, batch_size, moved)
        else:
            in_child = exports.can_parse_in_child() if parse_in_child is None else parse_in_child
            imported = writer.orders(export, batch_size, moved, in_child=in_child)
        moved(export.size)
        return CsvImportReport(
            kind=kind,
            path=path,
            rows=export.rows,
            imported=imported,
            rejected=export.rejected,
            encoding=export.encoding,
            rejects_path=export.rejects_path,
            errors=list(export.errors),
        )


class _Batches:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        merchant_id: int,
        currency: str,
        rules: SignalRules,
        now: datetime,
        policy: Policy | None,
    ) -> None:
        self.uow_factory, self.merchant_id, self.currency = uow_factory, merchant_id, currency
        self.rules, self.now, self.policy = rules, now, policy

    def _writer(self, uow: UnitOfWork) -> IngestionWriter:
        return IngestionWriter(
            uow,
            merchant_id=self.merchant_id,
            currency=self.currency,
            now=self.now,
            rules=self.rules,
            policy=self.policy,
        )

    def customers(self, export: CsvExport, size: int, moved: Callable[[int], None]) -> int:
        """Every customer of the export, `size` per transaction (an export is a snapshot: no staleness)."""
        imported = 0
        records = export.customers()
        while batch := list(islice(records, size)):
            with self.uow_factory(write=True) as uow:
                written = self._writer(uow).customers(batch, only_newer=False)
                uow.commit()
            imported += len(written.row_ids)
            moved(export.position())
        return imported

    def orders(self, export: CsvExport, size: int, moved: Callable[[int], None], *, in_child: bool) -> int:
        """Every order of the export, in transactions of about `size` orders (chunks are smaller)."""
        with self.uow_factory() as uow:
            values = uow.bulk_orders.values()
        sink = _OrderSink(self, size, moved)
        try:
            with export.order_chunks(values, in_child=in_child) as chunks:
                for orders, lines, position in chunks:
                    sink.write(orders, lines, position)
            sink.commit()
        finally:
            sink.close()
        return sink.imported


class _OrderSink:
    """One open transaction (with the store's larger page cache) across chunks, committed every `size`."""

    def __init__(self, batches: _Batches, size: int, moved: Callable[[int], None]) -> None:
        self.batches, self.size, self.moved = batches, size, moved
        self._open: ExitStack | None = None
        self._cache = ExitStack()
        self._uow: UnitOfWork | None = None
        self._writer: IngestionWriter | None = None
        self._pending = 0
        self.imported = 0

    def write(self, orders: list[BulkOrder], lines: list[BulkLine], position: int) -> None:
        if orders:
            self.imported += self._transaction().bulk_orders(orders, lines)
            self._pending += len(orders)
        if self._pending >= self.size:
            self.commit()
            self.moved(position)

    def commit(self) -> None:
        """Commit what was written (nothing to do when nothing was)."""
        if self._uow is not None and self._open is not None:
            self._cache.close()  # back to the usual page cache while the connection is still ours
            self._uow.commit()
            self._open.close()
        self._open, self._uow, self._writer, self._pending = None, None, None, 0

    def close(self) -> None:
        """Roll back whatever was not committed."""
        if self._open is not None:
            # After a failed statement the restore may fail too: that connection then keeps the larger
            # cache (memory only) and the original error is the one raised.
            try:
                self._cache.close()
            except Exception:  # noqa: BLE001, S110 - the error being raised already is the one to see
                pass
            self._open.close()
        self._open, self._uow, self._writer = None, None, None

    def _transaction(self) -> IngestionWriter:
        if self._writer is None:
            self._open = ExitStack()
            uow = self._open.enter_context(self.batches.uow_factory(write=True))
            self._cache = ExitStack()
            self._cache.enter_context(uow.bulk_orders.larger_cache())
            self._uow, self._writer = uow, self.batches._writer(uow)
        return self._writer
