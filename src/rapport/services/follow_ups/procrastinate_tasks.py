"""The follow-up job on procrastinate (PostgreSQL): a periodic tick fans the due follow-ups out over
batch jobs, which any number of `rapport worker` processes run at once.

The tick (every `tick_seconds`; procrastinate defers one per period whatever the number of workers)
counts what is due and defers up to `fan_out` batch jobs, each under its own queueing lock so that
ticks never pile up jobs that are still waiting. A batch job runs the same job function as the
in-process runner (`jobs.send_all_due`): the claim, not procrastinate, guarantees that a follow-up
goes to one worker; a batch job killed with its worker loses nothing (its rows' leases pass and the
next batch takes them).

procrastinate's own tables live in the same database; `apply_schema` creates them once (under an
advisory lock, skipped when they exist), at every worker start.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable

import procrastinate
import psycopg
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.schema import SchemaManager

from rapport.services.follow_ups.jobs import RunReport

QUEUE = "follow_ups"
BATCH_TASK = "rapport.follow_ups.send_batch"
TICK_TASK = "rapport.follow_ups.tick"
SCHEMA_LOCK_KEY = 0x5241_5050  # "RAPP": one process creates procrastinate's schema at a time


def libpq_url(database_url: str) -> str:
    """The store's SQLAlchemy URL (`postgresql+psycopg://...`) as psycopg/libpq reads it."""
    scheme, sep, rest = database_url.partition("://")
    if not sep or not scheme.startswith("postgresql"):
        raise ValueError(f"procrastinate needs a PostgreSQL database URL, not {scheme or database_url!r}")
    return f"postgresql://{rest}"


def apply_schema(conninfo: str) -> bool:
    """Create procrastinate's tables unless they exist; whether they were created now. Idempotent and
    safe when several workers start together."""
    with psycopg.connect(conninfo, autocommit=False) as connection:
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_KEY,))
        row = connection.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
        if row is not None and row[0] is not None:
            return False
        connection.execute(SchemaManager.get_schema())
        connection.commit()
    return True


def make_app(
    conninfo: str,
    *,
    run_batch: Callable[[], RunReport],
    count_due: Callable[[], int],
    batch_size: int,
    fan_out: int = 4,
    tick_seconds: int = 10,
) -> procrastinate.App:
    """The procrastinate app of the follow-ups: its periodic tick and its batch task."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo))

    @app.task(name=BATCH_TASK, queue=QUEUE)
    def send_batch() -> None:
        run_batch()

    @app.periodic(cron=f"*/{tick_seconds} * * * * *")
    @app.task(name=TICK_TASK, queue=QUEUE)
    async def tick(timestamp: int) -> None:
        due = await asyncio.to_thread(count_due)
        for lane in range(min(fan_out, math.ceil(due / batch_size))):
            try:
                await send_batch.configure(queueing_lock=f"follow-ups-lane-{lane}").defer_async()
            except AlreadyEnqueued:
                continue  # that lane still has a job waiting: it will take these rows

    return app
