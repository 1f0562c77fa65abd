"""Bulk operations: run a bulk query, poll it, stream its JSONL result line by line (resuming on a cut)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from rapport.connectors.shopify.client import GraphQLClient
from rapport.connectors.shopify.errors import BulkOperationFailed, ShopifyUnavailable

RUN_BULK = """
mutation runBulk($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}
"""

POLL_BULK = """
query pollBulk($id: ID!) {
  node(id: $id) {
    ... on BulkOperation { id status errorCode objectCount fileSize url partialDataUrl createdAt completedAt }
  }
}
"""

# Customers with their orders and line items: Shopify writes each child on its own line after its
# parent, linked by `__parentId` (customer <- order <- line item).
CUSTOMERS_WITH_ORDERS = """
{
  customers%(filter)s {
    edges { node {
      id email firstName lastName locale createdAt updatedAt tags
      orders { edges { node {
        id name createdAt updatedAt cancelledAt displayFinancialStatus displayFulfillmentStatus
        totalPriceSet { shopMoney { amount currencyCode } }
        refunds { id createdAt totalRefundedSet { shopMoney { amount currencyCode } } }
        lineItems { edges { node {
          id title quantity sku
          originalUnitPriceSet { shopMoney { amount currencyCode } }
          sellingPlan { name sellingPlanId }
        } } }
      } } }
    } }
  }
}
"""

FINISHED = ("COMPLETED", "FAILED", "CANCELED", "EXPIRED")


def customers_query(*, updated_since: datetime | None = None) -> str:
    """The bulk query for every customer, or those updated after `updated_since` (incremental sync)."""
    if updated_since is None:
        return CUSTOMERS_WITH_ORDERS % {"filter": ""}
    stamp = updated_since.strftime("%Y-%m-%dT%H:%M:%SZ")
    return CUSTOMERS_WITH_ORDERS % {"filter": f"(query: \"updated_at:>'{stamp}'\")"}


@dataclass(frozen=True, slots=True)
class BulkOperation:
    id: str
    status: str
    error_code: str | None = None
    object_count: int = 0
    url: str | None = None

    @classmethod
    def from_node(cls, node: dict[str, Any]) -> BulkOperation:
        return cls(
            id=str(node["id"]),
            status=str(node.get("status") or ""),
            error_code=node.get("errorCode"),
            object_count=int(node.get("objectCount") or 0),
            url=node.get("url"),
        )


def start_bulk_query(client: GraphQLClient, query: str) -> BulkOperation:
    """Start a bulk query; Shopify's userErrors (e.g. one already running) become BulkOperationFailed."""
    payload = client.execute(RUN_BULK, {"query": query})["bulkOperationRunQuery"]
    errors = payload.get("userErrors") or []
    if errors or not payload.get("bulkOperation"):
        messages = (
            "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors) or "no operation returned"
        )
        raise BulkOperationFailed(f"Shopify did not start the bulk operation: {messages}")
    return BulkOperation.from_node(payload["bulkOperation"])


def wait_for_bulk(
    client: GraphQLClient, op_id: str, *, interval: float = 2.0, max_polls: int = 3600
) -> BulkOperation:
    """Poll until the operation finishes; a completed one is returned, any other end raises."""
    for _ in range(max_polls):
        node = client.execute(POLL_BULK, {"id": op_id}).get("node")
        if not node:
            raise BulkOperationFailed(f"bulk operation {op_id} is unknown to Shopify")
        op = BulkOperation.from_node(node)
        if op.status == "COMPLETED":
            return op
        if op.status in FINISHED:
            raise BulkOperationFailed(
                f"bulk operation {op_id} ended {op.status} ({op.error_code or 'no error code'})"
            )
        client.sleep(interval)
    raise BulkOperationFailed(f"bulk operation {op_id} did not finish after {max_polls} polls")


def stream_lines(client: GraphQLClient, url: str, *, skip: int = 0) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of the result file from line `skip + 1`, never holding the file in memory.

    A cut connection is resumed with an HTTP Range request from the last complete line, within the
    client's retry budget (a server that ignores Range is re-read and the bytes already seen skipped).
    """
    offset, number, failures = 0, 0, 0
    while True:
        try:
            for line in _read_from(client.http, url, offset):
                offset += len(line)
                number += 1
                if number > skip:
                    yield number, line
            return
        except httpx.TransportError as exc:  # includes a body cut short (RemoteProtocolError)
            failures += 1
            if failures >= client.retry.max_attempts:
                raise ShopifyUnavailable(
                    f"downloading the bulk result failed {failures} times: {exc!r}"
                ) from None
            client.sleep(client.retry.backoff(failures))


def _read_from(http: httpx.Client, url: str, offset: int) -> Iterator[bytes]:
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    # The signed URL carries its own authorisation: the shop's token is never sent to the file host.
    with http.stream("GET", url, headers=headers) as response:
        if response.status_code in (403, 404, 410):
            raise BulkOperationFailed(
                f"the bulk result is no longer available ({response.status_code}); sync again"
            )
        if response.status_code >= 400:
            raise httpx.TransportError(f"download answered {response.status_code}")
        to_skip = offset if response.status_code == 200 else 0
        pending = b""
        for chunk in response.iter_bytes():
            pending += chunk
            *complete, pending = pending.split(b"\n")
            for line in complete:
                line += b"\n"
                if to_skip >= len(line):
                    to_skip -= len(line)
                    continue
                yield line
        if pending:
            yield pending  # a last line without newline
