"""`rapport worker`: send due follow-ups. On PostgreSQL it runs procrastinate's worker (any number of
these processes at once); on SQLite the in-process loop. Both run the same job functions."""

from __future__ import annotations

import signal
import threading
from typing import Annotated, Literal

import typer

from rapport.bootstrap import follow_up_worker
from rapport.cli.context import EXIT_OK, application, console, reported_errors
from rapport.services.follow_ups.jobs import RunReport
from rapport.services.follow_ups.runner import run_until_stopped
from rapport.services.follow_ups.worker import FollowUpWorker

Engine = Literal["auto", "procrastinate", "loop"]


def register(app: typer.Typer) -> None:
    """Add `rapport worker` to the application."""

    @app.command("worker")
    def worker_command(
        engine: Annotated[
            str | None,
            typer.Option(
                help="procrastinate (PostgreSQL), loop (in-process), or auto (RAPPORT_WORKER_ENGINE)."
            ),
        ] = None,
        until_idle: Annotated[
            bool, typer.Option("--until-idle", help="Send what is due now, then exit (cron, tests).")
        ] = False,
        concurrency: Annotated[
            int | None, typer.Option(min=1, max=64, help="procrastinate jobs at once in this process.")
        ] = None,
    ) -> None:
        """Send due follow-ups until stopped (SIGTERM or Ctrl-C end it after the message in flight)."""
        with reported_errors():
            rapport = application()
            chosen = _engine(engine or rapport.settings.worker_engine, rapport.settings.database_url)
            worker = follow_up_worker(rapport)
            if until_idle:
                _print(worker.run_once())
            elif chosen == "procrastinate":
                run_procrastinate(
                    worker,
                    rapport.settings.database_url,
                    concurrency or rapport.settings.worker_concurrency,
                    tick_seconds=rapport.settings.worker_tick_seconds,
                )
            else:
                run_loop(worker, rapport.settings.worker_idle_seconds)
        raise typer.Exit(EXIT_OK)


def _engine(value: str, database_url: str) -> str:
    if value not in ("auto", "procrastinate", "loop"):
        raise typer.BadParameter(f"--engine: one of auto, procrastinate, loop (not {value!r})")
    if value == "auto":
        return "procrastinate" if database_url.startswith("postgresql") else "loop"
    if value == "procrastinate" and not database_url.startswith("postgresql"):
        raise typer.BadParameter("--engine procrastinate needs a PostgreSQL RAPPORT_DATABASE_URL")
    return value


def run_loop(worker: FollowUpWorker, idle_seconds: float) -> None:
    """The in-process runner until SIGTERM/SIGINT."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    console.print(f"rapport worker: in-process loop, checking every {idle_seconds:g} s")
    run_until_stopped(worker.run_once, stop=stop, idle_seconds=idle_seconds, on_report=_print)


def run_procrastinate(
    worker: FollowUpWorker, database_url: str, concurrency: int, *, tick_seconds: int = 10
) -> None:
    """procrastinate's worker on the follow-ups queue (its schema applied first, once)."""
    from rapport.services.follow_ups.procrastinate_tasks import QUEUE, apply_schema, libpq_url, make_app

    conninfo = libpq_url(database_url)
    if apply_schema(conninfo):
        console.print("rapport worker: procrastinate's tables created")
    app = make_app(
        conninfo,
        run_batch=worker.run_once,
        count_due=worker.count_due,
        batch_size=worker.settings.batch_size,
        fan_out=max(2, concurrency * 2),
        tick_seconds=tick_seconds,
    )
    console.print(f"rapport worker: procrastinate, queue {QUEUE}, concurrency {concurrency}")
    app.run_worker(queues=[QUEUE], concurrency=concurrency)


def _print(report: RunReport) -> None:
    console.print(
        f"follow-ups: {report.claimed} claimed, {report.sent} sent, {report.retrying} to retry, "
        f"{report.dead} dead" + (f", {report.lost_lease} taken over" if report.lost_lease else "")
    )
    for error in report.errors[:20]:
        console.print(f"  {error}", style="yellow", markup=False)
