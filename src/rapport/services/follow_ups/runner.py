"""The in-process runner: a loop that runs the follow-up job until told to stop.

Used on SQLite (the embedded default: no job engine to run), by `rapport worker` and inside
`rapport serve` (in a thread). It runs the very job functions the procrastinate task runs; several
runners at once are safe (the claim gives each due row to one of them).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from rapport.services.follow_ups.jobs import RunReport

log = logging.getLogger(__name__)


def run_until_stopped(
    run_once: Callable[[], RunReport],
    *,
    stop: threading.Event,
    idle_seconds: float = 5.0,
    on_report: Callable[[RunReport], None] | None = None,
) -> None:
    """Run batches back to back while they come back full, then wait `idle_seconds` (or `stop`)."""
    while not stop.is_set():
        try:
            report = run_once()
        except Exception:  # a store outage must not end the worker: log it and try again later
            log.exception("follow-up run failed; trying again in %.1f s", idle_seconds)
            stop.wait(idle_seconds)
            continue
        if on_report is not None and report.claimed:
            on_report(report)
        if report.claimed == 0:
            stop.wait(idle_seconds)


def start_in_thread(
    run_once: Callable[[], RunReport], *, idle_seconds: float = 5.0
) -> tuple[threading.Thread, threading.Event]:
    """The runner in a daemon thread (inside `rapport serve`): the thread and the event that stops it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_until_stopped,
        kwargs={"run_once": run_once, "stop": stop, "idle_seconds": idle_seconds},
        name="rapport-follow-ups",
        daemon=True,
    )
    thread.start()
    return thread, stop
