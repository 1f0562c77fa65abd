"""Initial and incremental sync: one bulk operation, streamed into the store in resumable batches.

The sync state (bulk operation, result URL, lines done) is committed with every batch, so a sync
that is interrupted and run again continues from the last batch: upserts make replays harmless.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rapport.connectors.shopify.bulk import customers_query, start_bulk_query, stream_lines, wait_for_bulk
from rapport.connectors.shopify.client import GraphQLClient
from rapport.connectors.shopify.errors import BulkOperationFailed, ShopifyError
from rapport.connectors.shopify.records import (
    ShopifyCustomer,
    ShopifyLine,
    customer_from_graphql,
    line_from_graphql,
    order_from_graphql,
)
from rapport.connectors.shopify.signals import SignalRules
from rapport.connectors.shopify.writer import StoreWriter
from rapport.store.shopify_models import SyncState
from rapport.store.unit_of_work import UnitOfWork

Progress = Callable[[int, int], None]  # (lines done, lines expected)


@dataclass(frozen=True, slots=True)
class SyncReport:
    mode: str  # full or incremental
    resumed_from_line: int
    lines: int
    customers: int
    orders: int
    stale: int


@dataclass
class _Batch:
    customers: list[ShopifyCustomer]
    orders: dict[str, tuple[dict[str, Any], str | None]]  # order gid -> (node, customer gid)
    lines: dict[str, list[ShopifyLine]]

    @classmethod
    def empty(cls) -> _Batch:
        return cls([], {}, {})


@dataclass(frozen=True, slots=True)
class _Run:
    """The result file this run reads, from which line, and what it asks for."""

    url: str
    skip: int
    mode: str
    since: datetime | None
    expected: int


def sync_shop(
    client: GraphQLClient,
    uow_factory: Callable[[], UnitOfWork],
    *,
    merchant: str,
    now: datetime,
    full: bool = False,
    rules: SignalRules | None = None,
    batch_lines: int = 10_000,
    progress: Progress | None = None,
) -> SyncReport:
    """Bring the store up to date with the shop (all customers with `full`, else those changed since)."""
    rules = rules or SignalRules()
    merchant_id, state = _load_state(uow_factory, merchant)
    run = _begin(client, uow_factory, merchant_id, state, full=full, now=now)
    totals = {"customers": 0, "orders": 0, "stale": 0, "lines": run.skip}
    watermark = run.since
    batch, done = _Batch.empty(), run.skip
    try:
        for number, raw in stream_lines(client, run.url, skip=run.skip) if run.url else iter(()):
            obj = _parse_line(number, raw)
            # Cut batches only where a customer starts: its orders and line items follow it.
            if "__parentId" not in obj and number - 1 - done >= batch_lines:
                _flush(uow_factory, merchant_id, batch, rules, now, totals, lines_done=number - 1)
                batch, done = _Batch.empty(), number - 1
                if progress:
                    progress(done, max(run.expected, done))
            watermark = _take(obj, batch, watermark)
        _flush(uow_factory, merchant_id, batch, rules, now, totals, lines_done=None)
    except ShopifyError as exc:
        _save(uow_factory, merchant_id, last_error=exc.message)
        raise
    finished = datetime.now(UTC)
    _save(
        uow_factory, merchant_id, status="completed", finished_at=finished, watermark=watermark, bulk_url=None
    )
    if progress:
        progress(totals["lines"], totals["lines"])
    lines = totals["lines"] - run.skip
    return SyncReport(run.mode, run.skip, lines, totals["customers"], totals["orders"], totals["stale"])


def _begin(
    client: GraphQLClient,
    uow_factory: Callable[[], UnitOfWork],
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
    op = wait_for_bulk(client, start_bulk_query(client, customers_query(updated_since=since)).id)
    url = op.url or ""
    _save(
        uow_factory,
        merchant_id,
        status="running",
        mode=mode,
        bulk_operation_id=op.id,
        bulk_url=url,
        lines_done=0,
        started_at=now,
        since=since,
        customers_synced=0,
        orders_synced=0,
        last_error=None,
    )
    return _Run(url, 0, mode, since, op.object_count)


def _parse_line(number: int, raw: bytes) -> dict[str, Any]:
    try:
        obj = json.loads(raw)
    except ValueError:
        raise BulkOperationFailed(
            f"bulk result line {number} is not complete JSON (truncated file?)"
        ) from None
    if not isinstance(obj, dict):
        raise BulkOperationFailed(f"bulk result line {number} is not a JSON object")
    return obj


def _take(obj: dict[str, Any], batch: _Batch, watermark: datetime | None) -> datetime | None:
    gid = str(obj.get("id", ""))
    parent = obj.get("__parentId")
    if "/Customer/" in gid:
        customer = customer_from_graphql(obj)
        batch.customers.append(customer)
        if customer.updated_at and (watermark is None or customer.updated_at > watermark):
            return customer.updated_at
    elif "/Order/" in gid:
        batch.orders[gid] = (obj, parent)
        batch.lines.setdefault(gid, [])
    elif "/LineItem/" in gid and parent:
        batch.lines.setdefault(str(parent), []).append(line_from_graphql(obj))
    return watermark


def _flush(
    uow_factory: Callable[[], UnitOfWork],
    merchant_id: int,
    batch: _Batch,
    rules: SignalRules,
    now: datetime,
    totals: dict[str, int],
    *,
    lines_done: int | None,
) -> None:
    with uow_factory() as uow:
        writer = StoreWriter(uow, merchant_id=merchant_id, rules=rules, now=now)
        writer.customers(batch.customers)
        orders = [
            order_from_graphql(node, customer_gid=parent, lines=tuple(batch.lines.get(gid, ())))
            for gid, (node, parent) in batch.orders.items()
        ]
        writer.orders(orders)
        state = uow.shopify.sync_state(merchant_id=merchant_id)
        assert state is not None
        state.customers_synced += writer.counts.customers
        state.orders_synced += writer.counts.orders
        counted = sum(1 + len(batch.lines.get(g, ())) for g in batch.orders) + len(batch.customers)
        totals["lines"] += counted
        if lines_done is not None:
            state.lines_done = lines_done  # committed with the data it covers: the resume point
        else:
            state.lines_done = totals["lines"]
        uow.commit()
    totals["customers"] += writer.counts.customers
    totals["orders"] += writer.counts.orders
    totals["stale"] += writer.counts.stale


def _load_state(uow_factory: Callable[[], UnitOfWork], merchant: str) -> tuple[int, SyncState | None]:
    with uow_factory() as uow:
        merchant_id = uow.merchants.get_or_create(slug=merchant)
        state = uow.shopify.sync_state(merchant_id=merchant_id)
        uow.commit()
    return merchant_id, state


def _save(uow_factory: Callable[[], UnitOfWork], merchant_id: int, **values: Any) -> None:
    with uow_factory() as uow:
        uow.shopify.save_sync_state(merchant_id=merchant_id, **values)
        uow.commit()
