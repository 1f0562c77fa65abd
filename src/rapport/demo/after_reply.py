"""What the demo does after the replies: send the follow-ups that are due, with the job functions
`rapport worker --until-idle` runs (on the demo's clock, into a file outbox), and write the outcome
report with its charts, with the service `rapport report --html` uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rapport.bootstrap import Rapport, follow_up_sender, follow_up_units, follow_up_worker
from rapport.domain.follow_ups import FollowUpStatus
from rapport.mail.file_outbox import file_name
from rapport.services.follow_ups.admin import list_follow_ups
from rapport.services.follow_ups.jobs import RunReport, message_key
from rapport.services.reports import outcome_report, report_html


@dataclass(frozen=True, slots=True)
class Delivery:
    """One run of the worker: what it reported, the outbox it wrote into and the files of the
    follow-ups sent (by their message key: the same follow-up always lands in the same file)."""

    run: RunReport
    outbox: Path
    files: tuple[Path, ...]
    still_scheduled: int  # what is not due yet at the run's `now`


def send_due(app: Rapport, *, outbox: Path, now: datetime) -> Delivery:
    """Send what is due at `now`, batch after batch until idle, one `.eml` each into `outbox` — whatever
    delivery is configured: the demo never sends mail out of the machine."""
    settings = app.settings.model_copy(update={"follow_up_delivery": "outbox", "outbox_dir": outbox})
    worker = follow_up_worker(app, sender=follow_up_sender(settings), clock=lambda: now)
    run = worker.run_once()
    units = follow_up_units(app)
    sent = list_follow_ups(units, merchant_id=app.merchant.id, status=FollowUpStatus.SENT, limit=10_000)
    later = list_follow_ups(units, merchant_id=app.merchant.id, status=FollowUpStatus.SCHEDULED, limit=10_000)
    files = tuple(outbox / file_name(message_key(e.merchant_id, e.id)) for e in sent)
    return Delivery(run=run, outbox=outbox, files=files, still_scheduled=len(later))


def write_report(app: Rapport, *, path: Path, now: datetime) -> Path:
    """The outcome report of all the merchant's tickets as of `now`, as HTML with charts, at `path`."""
    tenant = app.tenant(app.merchant.id)
    report = outcome_report(app.uow_factory, merchant_id=tenant.merchant.id, policy=tenant.policy, now=now)
    path.write_text(report_html(report), encoding="utf-8")
    return path
