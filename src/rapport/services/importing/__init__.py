"""Import customers, orders, subscriptions and past contacts from JSON Lines (format: docs/import-format.md).

Streaming and batched: lines are validated one by one, written in batches (one transaction each) with
insert-or-update by (merchant, kind, external id), so re-running an import updates and never duplicates.
A bad line is reported with its number; every good line is imported.
"""

from __future__ import annotations

import codecs
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from rapport.domain.errors import InvalidInput
from rapport.policy import Policy
from rapport.services.importing.batch import BatchWriter, Numbered
from rapport.services.importing.lines import parse_line
from rapport.services.importing.report import ImportReport, KindCounts
from rapport.services.ingestion.merchant import Merchant, merchant_of
from rapport.services.ports import UnitOfWorkFactory

__all__ = ["BATCH_SIZE", "ImportReport", "KindCounts", "fewer_gc_pauses", "import_jsonl"]

BATCH_SIZE = 2_000
BINARY_SNIFF = 8192  # bytes looked at to tell a binary file from JSON Lines


def import_jsonl(
    uow_factory: UnitOfWorkFactory,
    *,
    path: Path,
    merchant: Merchant,
    progress: Callable[[int], object] | None = None,
    batch_size: int = BATCH_SIZE,
    policy: Policy | None = None,
) -> ImportReport:
    """Import the JSON Lines file at `path` into `merchant`'s store (a slug is created if new).

    `progress`, when given, is called with the number of bytes read so far. Raises `InvalidInput` when
    the file cannot be read or is binary (a UTF-8 byte order mark is fine). Customers are matched by
    the ingestion writer's identity rule; every record is checked against what the store can hold.
    `policy` (the configured one) re-times follow-ups when the merchant has no stored policy.
    """
    with uow_factory(write=isinstance(merchant, str)) as uow:
        merchant_id, currency = merchant_of(uow, merchant)
        uow.commit()
    report = ImportReport()
    writer = BatchWriter(
        uow_factory,
        merchant_id=merchant_id,
        currency=currency,
        report=report,
        now=datetime.now(UTC),
        policy=policy,
    )
    with fewer_gc_pauses():
        done = _stream(path, writer, report, progress, batch_size)
        writer.finish(batch_size)
    report.errors.sort()
    if progress is not None:
        progress(done)
    return report


def _stream(
    path: Path,
    writer: BatchWriter,
    report: ImportReport,
    progress: Callable[[int], object] | None,
    batch_size: int,
) -> int:
    batch: list[Numbered] = []
    done = 0
    try:
        with path.open("rb") as lines:
            _refuse_binary(path, lines.peek(BINARY_SNIFF))
            for number, raw in enumerate(lines, start=1):
                done += len(raw)
                if number == 1 and raw.startswith(codecs.BOM_UTF8):  # as spreadsheet programs write
                    raw = raw[len(codecs.BOM_UTF8) :]
                if not raw.strip():
                    continue
                report.lines += 1
                parsed = parse_line(raw)
                if isinstance(parsed, str):
                    report.errors.append((number, parsed))
                    continue
                batch.append((number, parsed))
                if len(batch) >= batch_size:
                    writer.write(batch)
                    batch = []
                    if progress is not None:
                        progress(done)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read ({exc.strerror or exc})") from None
    writer.write(batch)
    return done


def _refuse_binary(path: Path, head: bytes) -> None:
    """JSON text never holds a raw NUL byte (a NUL in a value is written `\\u0000`): such a file is binary."""
    if b"\x00" in head[:BINARY_SNIFF]:
        raise InvalidInput(f"{path}: not a JSON Lines file (it holds binary data)")


@contextmanager
def fewer_gc_pauses() -> Iterator[None]:
    """Run a bulk load with the cyclic garbage collector mostly out of the way.

    An import allocates millions of short-lived objects, none in cycles; with the default threshold the
    collector runs thousands of times and took a sixth to a third of an import's CPU time.
    """
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], 50_000), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
