"""Fixtures: a fake Shopify on loopback, a client wired to it, and a clock neither of them waits on."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rapport.connectors.shopify.client import GraphQLClient, RetryPolicy, ShopifyEndpoint
from rapport.store.database import make_engine, session_factory, upgrade
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


# -- the store: SQLite always, PostgreSQL when RAPPORT_TEST_DATABASE_URL is set ---------------------

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated database; on PostgreSQL a schema of its own (tests run under xdist)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'rapport.db'}"
        upgrade(url)
        yield url
        return
    base = os.environ.get("RAPPORT_TEST_DATABASE_URL")
    if not base:
        pytest.skip("RAPPORT_TEST_DATABASE_URL is not set (no PostgreSQL server to test against)")
    schema = f"shopify_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    upgrade(url)
    yield url
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


@pytest.fixture
def uow_factory(database_url: str) -> Iterator[Callable[[], UnitOfWork]]:
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    yield lambda: UnitOfWork(sessions)
    engine.dispose()


def profile_of(uow_factory: Callable[[], UnitOfWork], email: str, *, merchant: str = "default"):  # noqa: ANN201
    with uow_factory() as uow:
        merchant_id = uow.merchants.get_or_create(slug=merchant)
        return uow.profiles.get_profile(merchant_id=merchant_id, email=email, now=NOW)
