"""The API over a real store (SQLite, and PostgreSQL when RAPPORT_TEST_DATABASE_URL is set)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from rapport.api import create_app
from rapport.bootstrap import build
from rapport.config import Settings
from rapport.policy import Policy, default_policy
from rapport.services.access import create_key
from rapport.services.importing import import_jsonl
from rapport.services.ports import UnitOfWorkFactory
from rapport.store.unit_of_work import UnitOfWork

SECRET = "whsec_api"
SHOP = "acme.myshopify.com"  # the default merchant's shop: its webhooks are the ones applied
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
STORE = Path(__file__).parents[1] / "cli" / "data" / "store.jsonl"  # Dana (VIP), Lena (first order), Sam


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, shopify_webhook_secret=SecretStr(SECRET), **values)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def key_for(uow_factory: UnitOfWorkFactory, merchant: str = "default") -> str:
    """A new machine key of an existing merchant."""
    return create_key(uow_factory, merchant=merchant, now=NOW, label="tests").secret


@pytest.fixture
def make_app(uow_factory: Callable[[], UnitOfWork]) -> Callable[..., FastAPI]:
    """`make_app(policy=..., clock=...)`: the API app over the test database (its default merchant is
    created with it)."""

    def make(*, policy: Policy | None = None, clock: Callable[[], datetime] = lambda: NOW) -> FastAPI:
        app = build(
            settings(shopify_shop=SHOP),
            policy=policy or default_policy(),
            uow_factory=uow_factory,
            create_merchant=True,
        )
        _ = app.merchant
        return create_app(app, clock=clock)

    return make


@pytest.fixture
def api_key(make_app: Callable[..., FastAPI], uow_factory: Callable[[], UnitOfWork]) -> str:
    """A machine key of the default merchant."""
    make_app()  # creates the default merchant
    return key_for(uow_factory)


@pytest.fixture
def auth_headers(api_key: str) -> dict[str, str]:
    return bearer(api_key)


@pytest.fixture
def client(make_app: Callable[..., FastAPI], auth_headers: dict[str, str]) -> TestClient:
    """The API over an empty store, sending a machine key of the default merchant."""
    return TestClient(make_app(), raise_server_exceptions=False, headers=auth_headers)


@pytest.fixture
def anonymous(make_app: Callable[..., FastAPI]) -> TestClient:
    """The API over an empty store, sending no credentials."""
    return TestClient(make_app(), raise_server_exceptions=False)


@pytest.fixture
def store_client(
    uow_factory: Callable[[], UnitOfWork], make_app: Callable[..., FastAPI], auth_headers: dict[str, str]
) -> TestClient:
    """The API over a store holding Dana (VIP), Lena (first-time buyer) and Sam (subscriber), sending a
    machine key of the default merchant."""
    assert not import_jsonl(uow_factory, path=STORE, merchant="default").errors
    return TestClient(make_app(), raise_server_exceptions=False, headers=auth_headers)
