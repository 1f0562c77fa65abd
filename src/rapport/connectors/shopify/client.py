"""GraphQL Admin API client: cost-aware throttling, bounded retries, cursor pagination, clear errors."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

from rapport.connectors.shopify.errors import (
    ShopifyForbidden,
    ShopifyQueryError,
    ShopifyShopNotFound,
    ShopifyUnauthorized,
    ShopifyUnavailable,
)

Sleep = Callable[[float], None]
Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class ShopifyEndpoint:
    """Where the shop's Admin API lives and how to authenticate to it.

    The token stays a `SecretStr` (never in a repr or a log) until the request header is written.
    `rapport.bootstrap.shopify_endpoint(settings)` builds it from the settings."""

    shop: str
    access_token: SecretStr
    api_version: str
    base_url: str  # e.g. https://acme.myshopify.com/admin/api/2025-01

    def __post_init__(self) -> None:
        if not isinstance(self.access_token, SecretStr):  # a plain string (tests, scripts) is wrapped
            object.__setattr__(self, "access_token", SecretStr(str(self.access_token)))

    @property
    def graphql_url(self) -> str:
        return f"{self.base_url}/graphql.json"


@dataclass(slots=True)
class ThrottleStatus:
    """Shopify's cost bucket as last reported in `extensions.cost.throttleStatus`."""

    maximum_available: float
    currently_available: float
    restore_rate: float
    observed_at: float

    def available_at(self, now: float) -> float:
        refilled = self.currently_available + self.restore_rate * max(0.0, now - self.observed_at)
        return min(self.maximum_available, refilled)

    def wait_for(self, cost: float, now: float) -> float:
        """Seconds until the bucket holds `cost` points (0 when it already does)."""
        deficit = min(cost, self.maximum_available) - self.available_at(now)
        if deficit <= 0 or self.restore_rate <= 0:
            return 0.0
        return deficit / self.restore_rate


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long to keep trying: a bounded budget for failures, a separate one for throttling."""

    max_attempts: int = 5  # network errors and 5xx, per request
    max_throttle_waits: int = 30  # THROTTLED/429 answers, per request
    base_delay: float = 0.5
    max_delay: float = 16.0

    def backoff(self, attempt: int) -> float:
        return float(min(self.max_delay, self.base_delay * 2 ** max(0, attempt - 1)))


class GraphQLClient:
    """Runs GraphQL queries against one shop; waits instead of failing when the cost bucket is low."""

    def __init__(
        self,
        endpoint: ShopifyEndpoint,
        *,
        http: httpx.Client | None = None,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.endpoint = endpoint
        self.http = http or httpx.Client(timeout=timeout)
        self.sleep = sleep
        self.clock = clock
        self.retry = retry or RetryPolicy()
        self.throttle: ThrottleStatus | None = None
        self._expected_cost: dict[str, float] = {}

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> GraphQLClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of one query, after waiting out throttling and retrying transient failures."""
        failures = throttled = 0
        while True:
            self._wait_for_budget(query)
            try:
                response = self.http.post(
                    self.endpoint.graphql_url,
                    json={"query": query, "variables": variables or {}},
                    headers={"X-Shopify-Access-Token": self.endpoint.access_token.get_secret_value()},
                )
            except httpx.TransportError as exc:
                failures += 1
                self._pause_or_give_up(failures, f"network error talking to {self.endpoint.shop}: {exc!r}")
                continue
            self._raise_for_access(response)
            if response.status_code == 429:
                throttled += 1
                self._throttled_pause(throttled, retry_after=_retry_after(response))
                continue
            if response.status_code >= 500:
                failures += 1
                self._pause_or_give_up(failures, f"Shopify answered {response.status_code}")
                continue
            body = _json_body(response)
            self._observe_cost(query, body)
            errors = body.get("errors") or []
            if _is_throttled(errors):
                throttled += 1
                self._throttled_pause(throttled, retry_after=self._refill_time(body))
                continue
            if errors:
                raise _query_error(errors)
            data = body.get("data")
            return data if isinstance(data, dict) else {}

    def paginate(
        self, query: str, *, connection: str, variables: dict[str, Any] | None = None, page_size: int = 100
    ) -> Iterator[dict[str, Any]]:
        """Every node of a top-level connection, page by page (`$first`, `$after`; `pageInfo`)."""
        after: str | None = None
        while True:
            data = self.execute(query, {**(variables or {}), "first": page_size, "after": after})
            page = data.get(connection) or {}
            nodes = page.get("nodes")
            if nodes is None:
                nodes = [edge["node"] for edge in page.get("edges", [])]
            yield from nodes
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return
            after = info.get("endCursor")

    # -- throttling and retries -------------------------------------------------------------------

    def _wait_for_budget(self, query: str) -> None:
        expected = self._expected_cost.get(query)
        if self.throttle is None or expected is None:
            return
        wait = self.throttle.wait_for(expected, self.clock())
        if wait > 0:
            self.sleep(wait + 0.05)  # a small margin: arriving exactly at the refill can still be refused

    def _observe_cost(self, query: str, body: dict[str, Any]) -> None:
        cost = (body.get("extensions") or {}).get("cost") or {}
        status = cost.get("throttleStatus")
        if isinstance(status, dict):
            self.throttle = ThrottleStatus(
                maximum_available=float(status.get("maximumAvailable", 0)),
                currently_available=float(status.get("currentlyAvailable", 0)),
                restore_rate=float(status.get("restoreRate", 0)),
                observed_at=self.clock(),
            )
        if cost.get("requestedQueryCost") is not None:
            self._expected_cost[query] = float(cost["requestedQueryCost"])

    def _refill_time(self, body: dict[str, Any]) -> float | None:
        cost = (body.get("extensions") or {}).get("cost") or {}
        if self.throttle is None or cost.get("requestedQueryCost") is None:
            return None
        return self.throttle.wait_for(float(cost["requestedQueryCost"]), self.clock())

    def _throttled_pause(self, count: int, *, retry_after: float | None) -> None:
        if count > self.retry.max_throttle_waits:
            raise ShopifyUnavailable(
                f"{self.endpoint.shop} kept throttling after {self.retry.max_throttle_waits} waits; "
                "try again later"
            )
        # Waiting exactly for the refill can race the bucket; a small floor keeps us from spinning.
        self.sleep(max(0.05, retry_after) if retry_after is not None else self.retry.backoff(count))

    def _pause_or_give_up(self, failures: int, reason: str) -> None:
        if failures >= self.retry.max_attempts:
            raise ShopifyUnavailable(f"{reason} (gave up after {failures} attempts)")
        self.sleep(self.retry.backoff(failures))

    def _raise_for_access(self, response: httpx.Response) -> None:
        shop = self.endpoint.shop
        if response.status_code == 401:
            raise ShopifyUnauthorized(
                f"{shop} refused the access token (401): check RAPPORT_SHOPIFY_ACCESS_TOKEN"
            )
        if response.status_code == 403:
            raise ShopifyForbidden(
                f"{shop} refused access (403): the app needs the read_customers and read_orders scopes"
            )
        if response.status_code == 404:
            raise ShopifyShopNotFound(
                f"no Admin API at {self.endpoint.graphql_url} (404): check RAPPORT_SHOPIFY_SHOP "
                f"and RAPPORT_SHOPIFY_API_VERSION"
            )


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


def _json_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise ShopifyQueryError(
            f"Shopify answered {response.status_code} with a body that is not JSON"
        ) from None
    if not isinstance(body, dict):
        raise ShopifyQueryError("Shopify answered with a JSON value that is not an object")
    return body


def _error_code(error: Any) -> str:
    if not isinstance(error, dict):
        return ""
    return str((error.get("extensions") or {}).get("code") or "")


def _is_throttled(errors: list[Any]) -> bool:
    return any(
        _error_code(e) == "THROTTLED" or (isinstance(e, dict) and e.get("message") == "Throttled")
        for e in errors
    )


def _query_error(errors: list[Any]) -> Exception:
    messages = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
    if any(_error_code(e) == "ACCESS_DENIED" for e in errors):
        return ShopifyForbidden(f"Shopify denied access: {messages}")
    return ShopifyQueryError(f"Shopify refused the query: {messages}")
