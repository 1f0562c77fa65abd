"""A fake Shopify Admin API on loopback, for tests and for trying `rapport shopify sync` without a store.

It speaks real HTTP: GraphQL at /admin/api/{version}/graphql.json with Shopify's field names, a cost bucket
that answers THROTTLED, bulk operations (run -> poll -> JSONL download with Range support), and failures
on demand (5xx, stalls past the client's timeout, a connection cut in the middle of the JSONL).
It is not Shopify: queries are recognised by their root field, and unknown field names are refused.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from rapport.connectors.shopify.fake_data import FakeShopData, iso

KNOWN_FIELDS = frozenset(
    """customers orders node nodes edges pageInfo hasNextPage endCursor cursor currentBulkOperation shop
    bulkOperationRunQuery bulkOperation userErrors field message code id status errorCode objectCount
    rootObjectCount fileSize url partialDataUrl createdAt completedAt type query email firstName lastName
    locale updatedAt tags numberOfOrders amountSpent amount currencyCode name cancelledAt
    displayFinancialStatus displayFulfillmentStatus totalPriceSet shopMoney refunds totalRefundedSet
    lineItems title quantity sku originalUnitPriceSet sellingPlan sellingPlanId customer myshopifyDomain
    mutation on""".split()
)
UPDATED_SINCE = re.compile(r"updated_at:>=?'?([0-9T:.\-+Z]+)'?")


def unknown_fields(query: str) -> list[str]:
    """Field names in `query` that this fake does not know (typos in a client's query show up here)."""
    text = re.sub(r'"""[\s\S]*?"""|"(?:\\.|[^"\\])*"', "", query)  # string literals
    text = re.sub(r"\([^()]*\)", "", text)  # arguments and variable definitions
    text = re.sub(r"\bon\s+[A-Za-z_]\w*", "", text)  # inline-fragment type conditions
    text = re.sub(r"\b[A-Za-z_]\w*\s*:", "", text)  # aliases
    text = re.sub(r"^\s*(query|mutation)\s+[A-Za-z_]\w*", r"\1", text)  # operation names
    return sorted({t for t in re.findall(r"[A-Za-z_]\w*", text) if t not in KNOWN_FIELDS})


@dataclass
class Bucket:
    """Shopify's calculated-query-cost leaky bucket."""

    maximum: float = 1000.0
    restore_rate: float = 50.0
    available: float = 1000.0
    at: float = 0.0

    def refill(self, now: float) -> None:
        self.available = min(self.maximum, self.available + (now - self.at) * self.restore_rate)
        self.at = now

    def status(self) -> dict[str, float]:
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": self.available,
            "restoreRate": self.restore_rate,
        }


@dataclass
class BulkOp:
    id: str
    query: str
    polls_left: int
    status: str = "CREATED"
    error_code: str | None = None
    body: bytes = b""
    created_at: str = ""
    completed_at: str | None = None


@dataclass
class FakeShopify:
    """The fake shop's state and its failure switches (thread-safe; tests flip the switches)."""

    data: FakeShopData
    access_token: str = "shpat_fake"
    api_version: str = "2025-01"
    clock: Callable[[], float] = time.monotonic
    bucket: Bucket = field(default_factory=Bucket)
    polls_before_completion: int = 1
    forbidden: bool = False
    bulk_error_code: str | None = None  # the next bulk operation ends FAILED with this errorCode
    fail_statuses: list[int] = field(default_factory=list)  # answer the next GraphQL requests with these
    stall_seconds: list[float] = field(default_factory=list)  # delay the next GraphQL answers this long
    cut_downloads_after: list[int] = field(default_factory=list)  # cut the next JSONL downloads at byte N
    requests: list[str] = field(default_factory=list)  # root field of every GraphQL request, in order
    operations: dict[str, BulkOp] = field(default_factory=dict)
    base_url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.bucket.at = self.clock()

    # -- GraphQL ----------------------------------------------------------------------------------

    def graphql(self, query: str, variables: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        inner = variables.get("query") if "bulkOperationRunQuery" in query else None
        bad = unknown_fields(query) + (unknown_fields(inner) if isinstance(inner, str) else [])
        if bad:
            errors = [
                {"message": f"Field '{f}' doesn't exist", "extensions": {"code": "undefinedField"}}
                for f in bad
            ]
            return 200, {"errors": errors}
        root, requested, run = self._route(query, variables)
        self.requests.append(root)
        self.bucket.refill(self.clock())
        if self.bucket.available < requested:
            return 200, {
                "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                "extensions": {"cost": self._cost(requested, None)},
            }
        data, actual = run()
        self.bucket.available -= actual
        return 200, {"data": data, "extensions": {"cost": self._cost(requested, actual)}}

    def _cost(self, requested: float, actual: float | None) -> dict[str, Any]:
        return {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": self.bucket.status(),
        }

    def _route(self, query: str, variables: dict[str, Any]) -> tuple[str, float, Callable[[], Any]]:
        if "bulkOperationRunQuery" in query:
            return "bulkOperationRunQuery", 10, lambda: (self._run_bulk(str(variables.get("query", ""))), 10)
        if "currentBulkOperation" in query:
            return "currentBulkOperation", 1, lambda: ({"currentBulkOperation": self._poll(None)}, 1)
        if re.search(r"\bnode\s*\(", query):
            return "node", 1, lambda: ({"node": self._poll(str(variables.get("id")))}, 1)
        if re.search(r"\bcustomers\b", query):
            first = int(variables.get("first") or 50)
            return "customers", 2 + first, lambda: self._customers_page(first, variables)
        return (
            "shop",
            1,
            lambda: ({"shop": {"name": "Fake shop", "myshopifyDomain": "fake.myshopify.com"}}, 1),
        )

    def _customers_page(self, first: int, variables: dict[str, Any]) -> tuple[dict[str, Any], float]:
        start = int(str(variables.get("after") or "cursor:0").split(":")[1])
        since = _since(str(variables.get("query") or ""))
        matching = [c for c in self.data.customers if since is None or c.updated_at > since]
        page = matching[start : start + first]
        end = start + len(page)
        info = {"hasNextPage": end < len(matching), "endCursor": f"cursor:{end}" if page else None}
        return {"customers": {"nodes": [c.node() for c in page], "pageInfo": info}}, 2 + len(page)

    def _run_bulk(self, inner: str) -> dict[str, Any]:
        running = [op for op in self.operations.values() if op.status in ("CREATED", "RUNNING")]
        if running:
            error = {
                "field": ["query"],
                "message": "A bulk query operation is already in progress",
                "code": "OPERATION_IN_PROGRESS",
            }
            return {"bulkOperationRunQuery": {"bulkOperation": None, "userErrors": [error]}}
        op_id = f"gid://shopify/BulkOperation/{len(self.operations) + 1}"
        op = BulkOp(
            id=op_id,
            query=inner,
            polls_left=self.polls_before_completion,
            created_at=iso(datetime.now().astimezone()),
        )
        self.operations[op_id] = op
        return {"bulkOperationRunQuery": {"bulkOperation": self._op_node(op), "userErrors": []}}

    def _poll(self, op_id: str | None) -> dict[str, Any] | None:
        ops = list(self.operations.values())
        op = self.operations.get(op_id) if op_id else (ops[-1] if ops else None)
        if op is None:
            return None
        if op.status in ("CREATED", "RUNNING"):
            op.status = "RUNNING"
            op.polls_left -= 1
            if op.polls_left < 0:
                self._complete(op)
        return self._op_node(op)

    def _complete(self, op: BulkOp) -> None:
        op.completed_at = iso(datetime.now().astimezone())
        if self.bulk_error_code:
            op.status, op.error_code, self.bulk_error_code = "FAILED", self.bulk_error_code, None
            return
        op.body = b"".join(self.data.bulk_jsonl(updated_since=_since(op.query)))
        op.status = "COMPLETED"

    def _op_node(self, op: BulkOp) -> dict[str, Any]:
        done = op.status == "COMPLETED"
        return {
            "id": op.id,
            "status": op.status,
            "errorCode": op.error_code,
            "createdAt": op.created_at,
            "completedAt": op.completed_at,
            "objectCount": str(op.body.count(b"\n")),
            "fileSize": str(len(op.body)) if done else None,
            "url": f"{self.base_url}/bulk/{op.id.rsplit('/', 1)[1]}.jsonl" if done and op.body else None,
            "partialDataUrl": None,
        }


def _since(search: str) -> datetime | None:
    found = UPDATED_SINCE.search(search)
    return datetime.fromisoformat(found.group(1).replace("Z", "+00:00")) if found else None


class _Handler(BaseHTTPRequestHandler):
    fake: FakeShopify  # set on the subclass made per server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet by design
        return

    def _send(self, status: int, body: bytes, content_type: str = "application/json", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode())

    def do_POST(self) -> None:
        fake = self.fake
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path != f"/admin/api/{fake.api_version}/graphql.json":
            return self._json(404, {"errors": "Not Found"})
        if self.headers.get("X-Shopify-Access-Token") != fake.access_token:
            return self._json(401, {"errors": "[API] Invalid API key or access token (unrecognized login)"})
        if fake.forbidden:
            return self._json(403, {"errors": "[API] This action requires merchant approval for read_orders"})
        with fake.lock:
            stall = fake.stall_seconds.pop(0) if fake.stall_seconds else 0.0
            failure = fake.fail_statuses.pop(0) if fake.fail_statuses else None
        if stall:
            time.sleep(stall)
        if failure:
            return self._json(failure, {"errors": "Internal error, please retry"})
        try:
            request = json.loads(raw)
            query, variables = str(request["query"]), dict(request.get("variables") or {})
        except (ValueError, KeyError, TypeError):
            return self._json(400, {"errors": {"query": "Required parameter missing or invalid"}})
        with fake.lock:
            status, payload = fake.graphql(query, variables)
        self._json(status, payload)

    def do_GET(self) -> None:
        found = re.fullmatch(r"/bulk/(\d+)\.jsonl", self.path)
        op = self.fake.operations.get(f"gid://shopify/BulkOperation/{found.group(1)}") if found else None
        if op is None or op.status != "COMPLETED":
            return self._send(404, b"NoSuchKey", "text/plain")
        start = int(m.group(1)) if (m := re.match(r"bytes=(\d+)-", self.headers.get("Range", ""))) else 0
        body = op.body[start:]
        with self.fake.lock:
            cut = self.fake.cut_downloads_after.pop(0) if self.fake.cut_downloads_after else None
        self.send_response(206 if start else 200)
        self.send_header("Content-Type", "application/jsonl")
        self.send_header("Content-Length", str(len(body)))
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(op.body) - 1}/{len(op.body)}")
        self.end_headers()
        if cut is None:
            self.wfile.write(body)
            return
        self.wfile.write(body[:cut])
        self.wfile.flush()
        self.close_connection = True  # the rest never arrives: the client sees a short body


class FakeShopifyServer:
    """Runs a FakeShopify on 127.0.0.1 in a background thread; `admin_url` is the API base URL."""

    def __init__(self, fake: FakeShopify, *, port: int = 0) -> None:
        handler = type("FakeShopifyHandler", (_Handler,), {"fake": fake})
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.server.daemon_threads = True
        self.fake = fake
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        fake.base_url = self.url
        self.admin_url = f"{self.url}/admin/api/{fake.api_version}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> FakeShopifyServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def serve_forever(self) -> None:
        """Run in the foreground until interrupted (the `rapport shopify fake-server` command)."""
        self.server.serve_forever()
