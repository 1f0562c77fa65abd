"""The desk's use cases run on the real store (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import pytest
from desk_builders import Desk, make_desk

from rapport.store.unit_of_work import UnitsOfWork


@pytest.fixture
def desk(uow_factory: UnitsOfWork) -> Desk:
    return make_desk(uow_factory)
