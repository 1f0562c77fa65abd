"""Follow-up services run on the real store (SQLite, and PostgreSQL when configured), through units of
work that carry the follow-ups repository."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from rapport.store.database import session_factory
from rapport.store.unit_of_work import UnitsOfWork

# The desk's builders (a merchant, its people, a way to post messages) make the tickets resolved here.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "desk"))


@pytest.fixture
def uow_factory(engine: Engine) -> UnitsOfWork:
    return UnitsOfWork(session_factory(engine))
