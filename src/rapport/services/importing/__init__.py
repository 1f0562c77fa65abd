"""Import customers, orders, subscriptions and past contacts from JSON Lines (format: docs/import-format.md).

Streaming and batched: lines are validated and checked a chunk at a time (`prepared.py`), written in
batches (one transaction each) with insert-or-update by (merchant, kind, external id), so re-running an
import updates and never duplicates. A bad line is reported with its number; every good line is
imported. On two cores or more a large file is parsed in a forked child while this process writes
(`forked.py`).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from rapport.domain.errors import InvalidInput
from rapport.policy import Policy
from rapport.services.importing.batch import BatchWriter
from rapport.services.importing.forked import SMALLEST_FORKED_FILE, can_fork, chunks_from_child
from rapport.services.importing.prepared import Chunk, Prepared, Wire, read_chunks
from rapport.services.importing.report import ImportReport, KindCounts
from rapport.services.ingestion.merchant import Merchant, merchant_of
from rapport.services.ports import UnitOfWorkFactory

__all__ = ["BATCH_SIZE", "ImportReport", "KindCounts", "fewer_gc_pauses", "import_jsonl"]

# Lines per transaction: larger batches mean fewer commits and fewer per-batch statements and lookups.
BATCH_SIZE = 10_000
# Lines per chunk read (and the first batch written): the pipe carries a chunk at a time.
CHUNK = 1_000
BINARY_SNIFF = 8192  # bytes looked at to tell a binary file from JSON Lines


def import_jsonl(
    uow_factory: UnitOfWorkFactory,
    *,
    path: Path,
    merchant: Merchant,
    progress: Callable[[int], object] | None = None,
    batch_size: int = BATCH_SIZE,
    policy: Policy | None = None,
    parse_in_child: bool | None = None,
) -> ImportReport:
    """Import the JSON Lines file at `path` into `merchant`'s store (a slug is created if new).

    `progress`, when given, is called with the number of bytes read so far. Raises `InvalidInput` when
    the file cannot be read or is binary (a UTF-8 byte order mark is fine). Customers are matched by
    the ingestion writer's identity rule; every record is checked against what the store can hold.
    `policy` (the configured one) re-times follow-ups when the merchant has no stored policy.
    `parse_in_child` None parses in a forked process when the file is large and there are two cores;
    True or False chooses.
    """
    with uow_factory(write=isinstance(merchant, str)) as uow:
        merchant_id, currency = merchant_of(uow, merchant)
        uow.commit()
    report = ImportReport()
    try:
        with path.open("rb") as lines:
            _refuse_binary(path, lines.peek(BINARY_SNIFF))
            in_child = _in_child(path, parse_in_child)
            writer = BatchWriter(
                uow_factory,
                merchant_id=merchant_id,
                currency=currency,
                report=report,
                now=datetime.now(UTC),
                policy=policy,
                wire=Wire(portable=in_child),
            )
            with (
                fewer_gc_pauses(),
                _chunks(lines, currency, min(batch_size, CHUNK), writer.wire, in_child) as chunks,
            ):
                done = _write(chunks, writer, report, progress, batch_size)
            writer.finish(batch_size)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read ({exc.strerror or exc})") from None
    report.errors.sort()
    if progress is not None:
        progress(done)
    return report


def _write(
    chunks: Iterator[Chunk],
    writer: BatchWriter,
    report: ImportReport,
    progress: Callable[[int], object] | None,
    batch_size: int,
) -> int:
    """Write the good lines `batch_size` at a time. The first batches are smaller (a chunk, then twice
    as many each time): with a parsing child, the writer starts once a chunk is parsed, not a batch."""
    done = 0
    batch: list[Prepared] = []
    target = min(CHUNK, batch_size)
    for chunk in chunks:
        report.lines += chunk.lines
        report.errors.extend(chunk.errors)
        batch.extend(chunk.items)
        done = chunk.position
        if len(batch) >= target:
            writer.write(batch)
            batch, target = [], min(2 * target, batch_size)
            if progress is not None:
                progress(done)
    writer.write(batch)
    return done


def _in_child(path: Path, choice: bool | None) -> bool:
    if choice is not None:
        return choice and can_fork()
    try:
        large = path.stat().st_size >= SMALLEST_FORKED_FILE
    except OSError:
        large = False  # not a regular file (a pipe): read it here
    return large and can_fork()


@contextmanager
def _chunks(
    lines: IO[bytes], currency: str, size: int, wire: Wire, in_child: bool
) -> Iterator[Iterator[Chunk]]:
    def produce() -> Iterator[Chunk]:
        return read_chunks(lines, currency=currency, size=size, wire=wire)

    if not in_child:
        yield produce()
        return
    with chunks_from_child(produce) as received:
        yield received


def _refuse_binary(path: Path, head: bytes) -> None:
    """JSON text never holds a raw NUL byte (a NUL in a value is written `\\u0000`): such a file is binary."""
    if b"\x00" in head[:BINARY_SNIFF]:
        raise InvalidInput(f"{path}: not a JSON Lines file (it holds binary data)")


@contextmanager
def fewer_gc_pauses() -> Iterator[None]:
    """Run a bulk load with the cyclic garbage collector mostly out of the way.

    An import allocates millions of short-lived objects, none in cycles; with the default threshold the
    collector runs thousands of times and took a sixth to a third of an import's CPU time. The threshold
    counts container objects allocated and still alive, not garbage (freed at once by reference
    counting): for a 117,780-line JSONL import the collections took ~0.25 s of ~4 s at 50,000, ~0.03 s
    at 200,000.
    """
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], 200_000), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
