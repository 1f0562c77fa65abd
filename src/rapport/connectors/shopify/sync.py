"""The shop as a feed of records: one bulk operation's result file, read in batches cut at customers.

Implements `rapport.services.ingestion.ports.ShopifyFeed`; the use case (resumable state, writing,
incremental watermark) is `rapport.services.shopify_sync.sync_shop`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rapport.connectors.shopify.bulk import customers_query, start_bulk_query, stream_lines, wait_for_bulk
from rapport.connectors.shopify.client import GraphQLClient
from rapport.connectors.shopify.errors import BulkOperationFailed
from rapport.connectors.shopify.records import customer_from_graphql, line_from_graphql, order_from_graphql
from rapport.domain.records import CustomerRecord, LineItemRecord, OrderRecord


@dataclass(frozen=True, slots=True)
class BulkRun:
    operation_id: str
    url: str
    expected: int


@dataclass
class FeedBatch:
    """Customers and their orders from the result file, up to and including line `last_line`."""

    customers: list[CustomerRecord] = field(default_factory=list)
    orders: list[OrderRecord] = field(default_factory=list)
    last_line: int = 0
    watermark: datetime | None = None


class ShopifyBulkFeed:
    """Customers with their orders and line items, through the GraphQL bulk API."""

    def __init__(self, client: GraphQLClient, *, poll_interval: float = 2.0) -> None:
        self.client = client
        self.poll_interval = poll_interval

    def start(self, *, updated_since: datetime | None) -> BulkRun:
        """Run the bulk query (customers changed since `updated_since`, or all) and wait for its file."""
        started = start_bulk_query(self.client, customers_query(updated_since=updated_since))
        op = wait_for_bulk(self.client, started.id, interval=self.poll_interval)
        return BulkRun(op.id, op.url or "", op.object_count)

    def batches(self, url: str, *, skip: int, batch_lines: int) -> Iterator[FeedBatch]:
        """The file from line `skip + 1`, about `batch_lines` lines a batch, always cut where a customer
        starts (its orders and line items follow it, linked by `__parentId`)."""
        reader = _Reader()
        done = skip
        for number, raw in stream_lines(self.client, url, skip=skip) if url else iter(()):
            obj = _parse_line(number, raw)
            if "__parentId" not in obj and number - 1 - done >= batch_lines:
                yield reader.batch(last_line=number - 1)
                reader, done = _Reader(), number - 1
            reader.take(obj)
            reader.last = number
        yield reader.batch(last_line=max(reader.last, done))


class _Reader:
    def __init__(self) -> None:
        self.customers: list[CustomerRecord] = []
        self.orders: dict[str, tuple[dict[str, Any], str | None]] = {}  # order gid -> (node, customer gid)
        self.lines: dict[str, list[LineItemRecord]] = {}
        self.watermark: datetime | None = None
        self.last = 0

    def take(self, obj: dict[str, Any]) -> None:
        gid = str(obj.get("id", ""))
        parent = obj.get("__parentId")
        if "/Customer/" in gid:
            customer = customer_from_graphql(obj)
            self.customers.append(customer)
            if customer.updated_at and (self.watermark is None or customer.updated_at > self.watermark):
                self.watermark = customer.updated_at
        elif "/Order/" in gid:
            self.orders[gid] = (obj, parent)
            self.lines.setdefault(gid, [])
        elif "/LineItem/" in gid and parent:
            self.lines.setdefault(str(parent), []).append(line_from_graphql(obj))

    def batch(self, *, last_line: int) -> FeedBatch:
        orders = [
            order_from_graphql(node, customer_gid=parent, lines=tuple(self.lines.get(gid, ())))
            for gid, (node, parent) in self.orders.items()
        ]
        return FeedBatch(self.customers, orders, last_line, self.watermark)


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
