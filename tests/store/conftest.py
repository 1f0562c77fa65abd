"""Store tests use the real databases of tests/conftest.py, and a builder of readable test data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from rapport.store.unit_of_work import UnitOfWork
from store_builders import StoreBuilder

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(uow_factory: Callable[[], UnitOfWork]) -> StoreBuilder:
    """A builder of customers, orders, subscriptions and contacts for the merchant "acme"."""
    return StoreBuilder(uow_factory, now=NOW)


@pytest.fixture
def now() -> datetime:
    """The moment every test's data is relative to."""
    return NOW
