"""`GET /readyz`: may this process take traffic? Its store answers and its schema is the one this code
was written for (the newest Alembic revision shipped with it). 200 when both hold, else 503 with the
same JSON saying which does not, so a load balancer or Kubernetes keeps requests away until it does.

`/healthz` stays the liveness probe (the process is up; it never touches the store): a database that
is down makes every process unready, not dead, and restarting them would not help.
"""

from __future__ import annotations

import logging
from typing import Literal

from alembic.script import ScriptDirectory
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from rapport.api.errors import ERROR_RESPONSES
from rapport.bootstrap import Rapport
from rapport.store.database import alembic_config, current_revision, make_engine
from rapport.store.unit_of_work import UnitsOfWork

log = logging.getLogger("rapport.api.readiness")


class ReadyOut(BaseModel):
    """Whether the process is ready, and why not."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)

    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unreachable"]
    # behind: an older revision of ours (run the upgrade); unknown_revision: one this code does not ship,
    # usually a newer release's (this process is the old code: replace it); not_checked: no database.
    migrations: Literal["at_head", "behind", "unknown_revision", "unmigrated", "not_checked"]
    revision: str | None  # the database's Alembic revision (None: never migrated, or unreachable)
    head: str  # the newest revision this code ships


class Migrations:
    """The revisions this code ships (read once from the packaged migrations)."""

    def __init__(self) -> None:
        script = ScriptDirectory.from_config(alembic_config())
        heads = script.get_heads()
        if len(heads) != 1:  # two branches in the migrations: a packaging mistake, not a runtime state
            raise RuntimeError(f"the migrations have {len(heads)} heads: {heads}")
        self.head: str = heads[0]
        self.known = frozenset(revision.revision for revision in script.walk_revisions())


def newest_revision() -> str:
    return Migrations().head


def store_engine(app: Rapport) -> Engine:
    """The engine the app's units of work use (a factory of another kind: one on the configured URL)."""
    factory = app.uow_factory
    if isinstance(factory, UnitsOfWork):
        bind = factory.sessions.kw.get("bind")
        if isinstance(bind, Engine):
            return bind
    return make_engine(app.settings.database_url)


def readiness(engine: Engine, migrations: Migrations) -> ReadyOut:
    """One connection and one read of `alembic_version`."""
    head = migrations.head
    try:
        revision = current_revision(engine)
    except SQLAlchemyError as exc:
        log.warning("not ready: the store is unreachable (%s)", type(exc).__name__)
        return ReadyOut(
            status="unavailable", database="unreachable", migrations="not_checked", revision=None, head=head
        )
    if revision == head:
        return ReadyOut(status="ok", database="ok", migrations="at_head", revision=revision, head=head)
    state: Literal["behind", "unknown_revision", "unmigrated"]
    if revision is None:
        state = "unmigrated"
    else:
        state = "behind" if revision in migrations.known else "unknown_revision"
    return ReadyOut(status="unavailable", database="ok", migrations=state, revision=revision, head=head)


def readiness_router(app: Rapport) -> APIRouter:
    router = APIRouter(tags=["operations"])
    engine = store_engine(app)
    migrations = Migrations()

    @router.get(
        "/readyz",
        response_model=ReadyOut,
        responses={
            503: {"model": ReadyOut, "description": "The store is unreachable or its schema is not at head"},
            500: ERROR_RESPONSES[500],
        },
    )
    def readyz() -> ReadyOut | JSONResponse:
        """Ready for traffic: the store answers and its schema is at the newest migration (else 503)."""
        found = readiness(engine, migrations)
        if found.status != "ok":
            return JSONResponse(found.model_dump(), status_code=503)
        return found

    return router
