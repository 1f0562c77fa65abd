"""The job that sends due follow-ups: claim a batch, word each, deliver it, mark it. Any number of
workers (threads, processes, machines) run it at once; the claim gives each due row to one of them.

What "never twice" means here. A row is marked `sent` after its sender returned, in its own
transaction. A worker killed between the two (the SMTP server had accepted the message, the row was
not yet marked) leaves the row `sending`; when its lease passes, another worker claims it and sends it
again. That window cannot be closed from this side (the receiver's acceptance and our commit are two
systems), so every message carries a stable key, `rapport-follow-up-<merchant>-<id>` (the e-mail's
Message-ID, the webhook's idempotency key): a receiver that has seen the key drops the repeat. A
worker killed before the sender was called, or while it waited, loses nothing: the row is sent once,
later. A worker whose lease passed while it was still sending finds the row taken over and does not
mark it (mark_* check the lease): the lease must be longer than any send takes (senders time out).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rapport.domain.follow_ups import ClaimedFollowUp
from rapport.engine.follow_up_timing import RETRY_BASE, RETRY_CAP, retry_delay
from rapport.services.follow_ups.ports import DeliveryFailed, FollowUpSender, OutboundMessage
from rapport.services.follow_ups.store_port import FollowUpUnitOfWork, FollowUpUnitOfWorkFactory

# A write unit of work to claim or mark in (each use commits its own transaction).
Marks = Callable[[], AbstractContextManager[FollowUpUnitOfWork]]
# (subject, body) of a claimed follow-up; raises to refuse it (a guardrail): the row goes dead.
FollowUpWriter = Callable[[ClaimedFollowUp], tuple[str, str]]


@dataclass(frozen=True, slots=True)
class JobSettings:
    batch_size: int = 50
    lease: timedelta = timedelta(minutes=5)  # longer than any sender's timeout
    max_attempts: int = 5
    retry_base: timedelta = RETRY_BASE
    retry_cap: timedelta = RETRY_CAP
    # Claim and mark a batch on one connection, each mark still its own commit (PostgreSQL: a third of
    # the round trips). Not on SQLite, where a write unit of work holds the process's writer queue.
    one_connection_per_batch: bool = False


@dataclass(slots=True)
class RunReport:
    """What one run did."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    lost_lease: int = 0  # sent, but another worker had taken the row over meanwhile
    errors: list[str] = field(default_factory=list)


def message_key(merchant_id: int, follow_up_id: int) -> str:
    """The stable key of a follow-up's message: the same on every attempt, unique per follow-up."""
    return f"rapport-follow-up-{merchant_id}-{follow_up_id}"


def send_due(
    uow_factory: FollowUpUnitOfWorkFactory,
    *,
    senders: Mapping[str, FollowUpSender],
    write: FollowUpWriter,
    clock: Callable[[], datetime],
    settings: JobSettings = JobSettings(),
) -> RunReport:
    """Claim up to one batch of due follow-ups and deliver each; the report of this run."""
    report = RunReport()
    now = clock()
    with ExitStack() as stack:
        marks = _marks(uow_factory, stack, shared=settings.one_connection_per_batch)
        with marks() as uow:
            claimed = uow.follow_ups.claim_due(
                now=now, lease_until=now + settings.lease, limit=settings.batch_size
            )
            uow.commit()
        report.claimed = len(claimed)
        for follow_up in claimed:
            _deliver(marks, follow_up, senders, write, clock, settings, report)
    return report


def send_all_due(
    uow_factory: FollowUpUnitOfWorkFactory,
    *,
    senders: Mapping[str, FollowUpSender],
    write: FollowUpWriter,
    clock: Callable[[], datetime],
    settings: JobSettings = JobSettings(),
    max_batches: int = 1000,
) -> RunReport:
    """Run batches until one comes back short (nothing more is due now), at most `max_batches`."""
    total = RunReport()
    for _ in range(max_batches):
        report = send_due(uow_factory, senders=senders, write=write, clock=clock, settings=settings)
        for name in ("claimed", "sent", "retrying", "dead", "lost_lease"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        total.errors.extend(report.errors)
        if report.claimed < settings.batch_size:
            break
    return total


def _marks(uow_factory: FollowUpUnitOfWorkFactory, stack: ExitStack, *, shared: bool) -> Marks:
    """A unit of work per claim or mark, or one for the whole batch (closed with `stack`)."""
    if not shared:
        return lambda: uow_factory(write=True)
    batch = stack.enter_context(uow_factory(write=True))
    return lambda: nullcontext(batch)


def _deliver(
    marks: Marks,
    follow_up: ClaimedFollowUp,
    senders: Mapping[str, FollowUpSender],
    write: FollowUpWriter,
    clock: Callable[[], datetime],
    settings: JobSettings,
    report: RunReport,
) -> None:
    try:
        sender = senders.get(follow_up.channel)
        if sender is None:
            raise DeliveryFailed(f"no sender for the channel {follow_up.channel!r}", retryable=False)
        try:
            subject, body = write(follow_up)
        except Exception as exc:  # a guardrail or a broken template: retrying words it the same way
            raise DeliveryFailed(f"not worded: {exc}", retryable=False) from exc
        sender.send(_message(follow_up, subject, body))
    except DeliveryFailed as failure:
        _failed(marks, follow_up, failure.reason, failure.retryable, clock(), settings, report)
        return
    except Exception as exc:  # an adapter's unexpected error: worth another try, and visible
        _failed(marks, follow_up, f"{type(exc).__name__}: {exc}", True, clock(), settings, report)
        return
    with marks() as uow:
        marked = uow.follow_ups.mark_sent(
            follow_up_id=follow_up.id, lease_until=follow_up.lease_until, now=clock()
        )
        uow.commit()
    if marked:
        report.sent += 1
    else:
        report.lost_lease += 1


def _failed(
    marks: Marks,
    follow_up: ClaimedFollowUp,
    reason: str,
    retryable: bool,
    now: datetime,
    settings: JobSettings,
    report: RunReport,
) -> None:
    retry_at = None
    if retryable and follow_up.attempts < settings.max_attempts:
        retry_at = now + retry_delay(follow_up.attempts, base=settings.retry_base, cap=settings.retry_cap)
    with marks() as uow:
        uow.follow_ups.mark_failed(
            follow_up_id=follow_up.id,
            lease_until=follow_up.lease_until,
            error=reason,
            retry_at=retry_at,
            now=now,
        )
        uow.commit()
    report.errors.append(f"follow-up {follow_up.id}: {reason}")
    if retry_at is None:
        report.dead += 1
    else:
        report.retrying += 1


def _message(follow_up: ClaimedFollowUp, subject: str, body: str) -> OutboundMessage:
    return OutboundMessage(
        key=message_key(follow_up.merchant_id, follow_up.id),
        merchant_id=follow_up.merchant_id,
        ticket_id=follow_up.ticket_id,
        kind=follow_up.kind,
        channel=follow_up.channel,
        to_address=follow_up.email,
        to_name=follow_up.customer_name or follow_up.first_name,
        subject=subject,
        body=body,
    )
