"""The GraphQL client against the fake Admin API on loopback."""

from __future__ import annotations

import pytest

from rapport.connectors.shopify.client import GraphQLClient, RetryPolicy, ShopifyEndpoint, ThrottleStatus
from rapport.connectors.shopify.errors import (
    ShopifyForbidden,
    ShopifyQueryError,
    ShopifyShopNotFound,
    ShopifyUnauthorized,
    ShopifyUnavailable,
)

from .conftest import endpoint_for
from .fake_shopify import FakeClock, FakeShopify, FakeShopifyServer

CUSTOMERS = """
query page($first: Int!, $after: String, $query: String) {
  customers(first: $first, after: $after, query: $query) {
    nodes { id email firstName lastName numberOfOrders amountSpent { amount currencyCode } updatedAt }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def test_pagination_follows_cursors_through_every_customer(client: GraphQLClient, fake: FakeShopify) -> None:
    emails = [node["email"] for node in client.paginate(CUSTOMERS, connection="customers", page_size=5)]
    assert emails == [c.email for c in fake.data.customers]


def test_a_throttled_query_waits_for_the_bucket_to_refill_and_succeeds(
    client: GraphQLClient, fake: FakeShopify, clock: FakeClock
) -> None:
    fake.bucket.available = 0.0
    nodes = list(client.paginate(CUSTOMERS, connection="customers", page_size=20))
    assert len(nodes) == 12
    assert clock.slept >= 22 / fake.bucket.restore_rate  # 2 + 20 points at 50 points/s


def test_the_client_paces_itself_from_throttle_status_before_being_throttled(
    client: GraphQLClient, fake: FakeShopify
) -> None:
    fake.bucket.maximum = fake.bucket.available = 60.0
    for _ in range(6):
        client.execute(CUSTOMERS, {"first": 20})
    assert fake.requests.count("customers") == 6  # no request was refused, so none was repeated


def test_server_errors_are_retried_within_the_budget(client: GraphQLClient, fake: FakeShopify) -> None:
    fake.fail_statuses.extend([503, 502])
    data = client.execute(CUSTOMERS, {"first": 1})
    assert data["customers"]["nodes"][0]["email"] == "dana.lee@example.com"


def test_server_errors_beyond_the_budget_raise_a_clear_error(
    client: GraphQLClient, fake: FakeShopify
) -> None:
    fake.fail_statuses.extend([500, 500, 500])
    with pytest.raises(ShopifyUnavailable, match="gave up after 3 attempts"):
        client.execute(CUSTOMERS, {"first": 1})


def test_a_stalled_answer_times_out_and_is_retried(server: FakeShopifyServer, fake: FakeShopify) -> None:
    fake.stall_seconds.append(1.0)
    with GraphQLClient(endpoint_for(server), sleep=lambda s: None, timeout=0.3) as quick:
        assert quick.execute(CUSTOMERS, {"first": 1})["customers"]["nodes"]


def test_a_wrong_token_is_reported_as_unauthorized(server: FakeShopifyServer) -> None:
    with (
        GraphQLClient(endpoint_for(server, token="shpat_wrong")) as wrong,
        pytest.raises(ShopifyUnauthorized, match="ACCESS_TOKEN"),
    ):
        wrong.execute(CUSTOMERS, {"first": 1})


def test_a_missing_scope_is_reported_as_forbidden(client: GraphQLClient, fake: FakeShopify) -> None:
    fake.forbidden = True
    with pytest.raises(ShopifyForbidden, match="scopes"):
        client.execute(CUSTOMERS, {"first": 1})


def test_a_wrong_api_version_is_reported_as_shop_not_found(server: FakeShopifyServer) -> None:
    endpoint = ShopifyEndpoint(
        "fake.myshopify.com", "shpat_fake", "1999-01", f"{server.url}/admin/api/1999-01"
    )
    with GraphQLClient(endpoint) as old, pytest.raises(ShopifyShopNotFound, match="API_VERSION"):
        old.execute(CUSTOMERS, {"first": 1})


def test_an_unknown_field_is_a_query_error_naming_it(client: GraphQLClient) -> None:
    with pytest.raises(ShopifyQueryError, match="ordersCount"):
        client.execute("{ customers(first: 1) { nodes { ordersCount } } }")


def test_throttle_status_computes_the_wait_for_a_cost_at_the_restore_rate() -> None:
    status = ThrottleStatus(maximum_available=1000, currently_available=100, restore_rate=50, observed_at=0)
    assert status.wait_for(200, now=1.0) == pytest.approx(1.0)


def test_backoff_doubles_and_is_capped() -> None:
    policy = RetryPolicy(base_delay=1, max_delay=5)
    assert [policy.backoff(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 5]
