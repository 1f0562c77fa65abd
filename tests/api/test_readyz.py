"""GET /readyz: 200 when the store answers and its schema is at the newest migration; 503 JSON saying
which check failed otherwise (an unmigrated store, one behind, one ahead of this code, an unreachable
one). /healthz stays up."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from rapport.api import create_app
from rapport.api.readiness import newest_revision
from rapport.bootstrap import build
from rapport.policy import default_policy
from rapport.store.database import downgrade, make_engine, session_factory
from rapport.store.unit_of_work import factory_for
from store_builders import sqlite_url

from .conftest import NOW, settings


def app_over(engine: Engine) -> FastAPI:
    """The API over `engine` as it is (create_app migrates only stores it opens itself)."""
    app = build(settings(), policy=default_policy(), uow_factory=factory_for(session_factory(engine)))
    return create_app(app, clock=lambda: NOW)


def test_a_migrated_store_is_ready(make_app: Callable[..., FastAPI]) -> None:
    answer = TestClient(make_app()).get("/readyz")
    assert answer.status_code == 200
    head = newest_revision()
    assert answer.json() == {
        "status": "ok",
        "database": "ok",
        "migrations": "at_head",
        "revision": head,
        "head": head,
    }


def test_an_unmigrated_store_is_not_ready(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(str(tmp_path / "empty.db")))
    try:
        client = TestClient(app_over(engine))
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json()["migrations"] == "unmigrated"
        assert answer.json()["database"] == "ok"
        assert answer.json()["status"] == "unavailable"
        assert client.get("/healthz").status_code == 200  # alive, only not ready
    finally:
        engine.dispose()


def test_a_store_behind_the_newest_migration_is_not_ready(engine: Engine) -> None:
    downgrade(engine, "-1")
    answer = TestClient(app_over(engine)).get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["migrations"] == "behind"
    assert body["revision"] is not None
    assert body["revision"] != body["head"]


def test_a_store_at_a_revision_this_code_does_not_ship_is_not_ready(engine: Engine) -> None:
    # What the processes of the previous release see once the next release has migrated the store.
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    body = TestClient(app_over(engine)).get("/readyz").json()
    assert (body["migrations"], body["revision"]) == ("unknown_revision", "0099_from_the_future")


def test_an_unreachable_store_is_not_ready(tmp_path: Path) -> None:
    # A file in a directory that does not exist: SQLite cannot open it.
    engine = make_engine(sqlite_url(str(tmp_path / "missing" / "rapport.db")))
    try:
        answer = TestClient(app_over(engine)).get("/readyz")
        assert answer.status_code == 503
        assert answer.json() == {
            "status": "unavailable",
            "database": "unreachable",
            "migrations": "not_checked",
            "revision": None,
            "head": newest_revision(),
        }
    finally:
        engine.dispose()
