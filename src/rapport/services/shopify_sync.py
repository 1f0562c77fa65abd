"""Initial and incremental Shopify sync: one bulk operation, streamed into the store in resumable batches.

The sync state (bulk operation, result URL, lines done) is committed with every batch, so a sync that is
interrupted and run again continues from the last batch: upserts make replays harmless. The shop comes
from a `ShopifyFeed` (the connector); every record goes through the ingestion writer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from rapport.domain.errors import RapportError
from rapport.domain.signals import SignalRules
from rapport.policy import Policy
from rapport.services.ingestion.merchant import Merchant, merchant_of
from rapport.services.ingestion.ports import ShopifyFeed, SyncBatch, SyncState
from rapport.services.ingestion.writer import IngestionWriter
from rapport.services.ports import UnitOfWorkFactory

Progress = Callable[[int, int], None]  # (lines done, lines expected)


@dataclass(frozen=True, slots=True)
class SyncReport:
    mode: str  # full or incremental
    resumed_from_line: int
    lines: int
    customers: int
    orders: int
    stale: int


@dataclass(frozen=True, slots=True)
class _Run:
    """The result file this run reads, from which line, and what it asks for."""

    url: str
    skip: int
    mode: str
    since: datetime | None
    expected: int


@dataclass
class _Totals:
    customers: int = 0
    orders: int = 0
    stale: int = 0
    line: int = 0


def sync_shop(
    uow_factory: UnitOfWorkFactory,
    feed: ShopifyFeed,
    *,
    merchant: Merchant,
    rules: SignalRules,
    now: datetime,
    full: bool = False,
    batch_lines: int = 10_000,
    progress: Progress | None = None,
    policy: Policy | None = None,
) -> SyncReport:
    """Bring the store up to date with the shop (all customers with `full`, else those changed since)."""
    with uow_factory(write=isinstance(merchant, str)) as uow:
        merchant_id, currency = merchant_of(uow, merchant)
        state = uow.shopify.sync_state(merchant_id=merchant_id)
        uow.commit()
    run = _begin(uow_factory, feed, merchant_id, state, full=full, now=now)
    totals = _Totals(line=run.skip)
    watermark = run.since
    try:
        for batch in feed.batches(run.url, skip=run.skip, batch_lines=batch_lines):
            _write(uow_factory, merchant_id, currency, batch, rules, now, totals, policy)
            if batch.watermark is not None and (watermark is None or batch.watermark > watermark):
                watermark = batch.watermark
            if progress:
                progress(totals.line, max(run.expected, totals.line))
    except RapportError as exc:
        _save(uow_factory, merchant_id, last_error=exc.message)
        raise
    _save(
        uow_factory,
        merchant_id,
        status="completed",
        finished_at=datetime.now(UTC),
        watermark=watermark,
        bulk_url=None,
    )
    if progress:
        progress(totals.line, totals.line)
    return SyncReport(
        run.mode, run.skip, totals.line - run.skip, totals.customers, totals.orders, totals.stale
    )


def _begin(
    uow_factory: UnitOfWorkFactory,
    feed: ShopifyFeed,
    merchant_id: int,
    state: SyncState | None,
    *,
    full: bool,
    now: datetime,
) -> _Run:
    """Resume the interrupted run, or start a bulk operation and wait for its result file."""
    if state is not None and state.status == "running" and state.bulk_url and not full:
        return _Run(state.bulk_url, state.lines_done, state.mode, state.since, state.lines_done)
    since = None if full or state is None else state.watermark
    mode = "incremental" if since else "full"
    started = feed.start(updated_since=since)
    _save(
        uow_factory,
        merchant_id,
        status="running",
        mode=mode,
        bulk_operation_id=started.operation_id,
        bulk_url=started.url,
        lines_done=0,
        started_at=now,
        since=since,
        customers_synced=0,
        orders_synced=0,
        last_error=None,
    )
    return _Run(started.url, 0, mode, since, started.expected)


def _write(
    uow_factory: UnitOfWorkFactory,
    merchant_id: int,
    currency: str,
    batch: SyncBatch,
    rules: SignalRules,
    now: datetime,
    totals: _Totals,
    policy: Policy | None,
) -> None:
    """One batch and the resume point it reaches, in one transaction."""
    with uow_factory(write=True) as uow:
        writer = IngestionWriter(
            uow, merchant_id=merchant_id, currency=currency, now=now, rules=rules, policy=policy
        )
        writer.customers(batch.customers)
        writer.orders(batch.orders)
        state = uow.shopify.sync_state(merchant_id=merchant_id)
        uow.shopify.save_sync_state(
            merchant_id=merchant_id,
            lines_done=batch.last_line,  # committed with the data it covers: the resume point
            customers_synced=(state.customers_synced if state else 0) + writer.counts.customers,
            orders_synced=(state.orders_synced if state else 0) + writer.counts.orders,
        )
        uow.commit()
    totals.customers += writer.counts.customers
    totals.orders += writer.counts.orders
    totals.stale += writer.counts.stale
    totals.line = max(totals.line, batch.last_line)


def _save(uow_factory: UnitOfWorkFactory, merchant_id: int, **values: object) -> None:
    with uow_factory(write=True) as uow:
        uow.shopify.save_sync_state(merchant_id=merchant_id, **values)
        uow.commit()


def sync_status(
    uow_factory: UnitOfWorkFactory, *, merchant: Merchant
) -> tuple[SyncState | None, dict[str, int]]:
    """The last sync's state (None before the first) and the counts `rapport shopify status` shows."""
    with uow_factory(write=isinstance(merchant, str)) as uow:
        merchant_id, _ = merchant_of(uow, merchant)
        state = uow.shopify.sync_state(merchant_id=merchant_id)
        counts = {
            "customers": uow.shopify.count("customers", merchant_id=merchant_id),
            "orders": uow.shopify.count("orders", merchant_id=merchant_id),
            "webhooks waiting": uow.shopify.count("webhooks", merchant_id=merchant_id, status="received"),
            "webhooks failed": uow.shopify.count("webhooks", merchant_id=merchant_id, status="failed"),
        }
        uow.commit()
    return state, counts
