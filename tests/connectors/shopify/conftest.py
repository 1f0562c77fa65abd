"""Fixtures: a fake Shopify on loopback, a client wired to it, and a clock neither of them waits on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from rapport.connectors.shopify.client import GraphQLClient, RetryPolicy, ShopifyEndpoint
from rapport.store.unit_of_work import UnitOfWork

from .fake_shopify import FakeClock, FakeShopify, FakeShopifyServer, build_shop

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FakeShopify:
    return FakeShopify(data=build_shop(customers=12), clock=clock)


@pytest.fixture
def server(fake: FakeShopify) -> Iterator[FakeShopifyServer]:
    with FakeShopifyServer(fake) as running:
        yield running


def endpoint_for(server: FakeShopifyServer, *, token: str = "shpat_fake") -> ShopifyEndpoint:
    return ShopifyEndpoint(
        shop="fake.myshopify.com", access_token=token, api_version="2025-01", base_url=server.admin_url
    )


@pytest.fixture
def client(server: FakeShopifyServer, clock: FakeClock) -> Iterator[GraphQLClient]:
    with GraphQLClient(
        endpoint_for(server), sleep=clock.sleep, clock=clock, retry=RetryPolicy(max_attempts=3), timeout=2.0
    ) as graphql:
        yield graphql


# The store (SQLite, and PostgreSQL when configured): `uow_factory` from tests/conftest.py.


def profile_of(uow_factory: Callable[[], UnitOfWork], email: str, *, merchant: str = "default"):  # noqa: ANN201
    with uow_factory() as uow:
        merchant_id = uow.merchants.get_or_create(slug=merchant)
        return uow.profiles.get_profile(merchant_id=merchant_id, email=email, now=NOW)
