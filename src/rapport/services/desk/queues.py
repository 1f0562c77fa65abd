"""The queue board: every queue with its counts, oldest due and breaches; one queue's tickets in the
order agents take them, each with its SLA clock."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from rapport.domain.desk import ESCALATION_QUEUES, TicketStatus
from rapport.domain.desk_records import DeskTicket
from rapport.domain.errors import InvalidInput, NotFound
from rapport.engine.sla import SlaClock, effective_due, is_breached, time_left
from rapport.services.desk.ports import Cursor
from rapport.services.ports import UnitOfWorkFactory
from rapport.services.tenancy import Tenant

MAX_PAGE = 100
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
CURSOR_PATTERN = r"^(-?\d{1,9})\.(\d{1,17})\.(\d{1,18})$"  # every match decodes: no overflow, no error
CURSOR = re.compile(CURSOR_PATTERN)
UNRESOLVED = (
    TicketStatus.OPEN,
    TicketStatus.CLAIMED,
    TicketStatus.WAITING_ON_CUSTOMER,
    TicketStatus.ESCALATED,
)


@dataclass(frozen=True, slots=True)
class SlaState:
    """A ticket's first-response clock as of `now`: `time_left` None once answered."""

    first_response_due: datetime
    effective_due: datetime
    first_responded_at: datetime | None
    paused: bool
    time_left: timedelta | None
    breached: bool


@dataclass(frozen=True, slots=True)
class QueueSummary:
    name: str
    counts: dict[TicketStatus, int]
    oldest_due: datetime | None  # the earliest first-response due of its unanswered, unresolved tickets
    breached: int  # unresolved tickets whose first response is (or was) late


@dataclass(frozen=True, slots=True)
class QueueTicket:
    ticket: DeskTicket
    sla: SlaState


@dataclass(frozen=True, slots=True)
class QueuePage:
    queue: str
    tickets: list[QueueTicket] = field(default_factory=list)
    next_cursor: str | None = None


def clock_of(ticket: DeskTicket) -> SlaClock:
    return SlaClock(
        first_response_due=ticket.first_response_due,
        first_responded_at=ticket.first_responded_at,
        paused_seconds=ticket.sla_paused_seconds,
        paused_since=ticket.sla_paused_since,
    )


def sla_state(ticket: DeskTicket, now: datetime) -> SlaState:
    clock = clock_of(ticket)
    return SlaState(
        first_response_due=ticket.first_response_due,
        effective_due=effective_due(clock, now),
        first_responded_at=ticket.first_responded_at,
        paused=ticket.sla_paused_since is not None,
        time_left=time_left(clock, now),
        breached=is_breached(clock, now),
    )


def queue_names(tenant: Tenant) -> list[str]:
    """The policy's queues, then the escalation queues (`senior`, `manager`)."""
    names = [q.name for q in tenant.policy.queues]
    return names + [name for name in ESCALATION_QUEUES.values() if name not in names]


def require_queue(tenant: Tenant, name: str) -> str:
    if name not in queue_names(tenant):
        raise NotFound(f"no queue {name!r}; queues: {', '.join(queue_names(tenant))}")
    return name


def list_queues(uow_factory: UnitOfWorkFactory, *, tenant: Tenant, now: datetime) -> list[QueueSummary]:
    """Every queue with its tickets counted per status, its oldest due and how many are breached."""
    merchant_id = tenant.merchant.id
    with uow_factory() as uow:
        counts = uow.desk.queue_counts(merchant_id=merchant_id)
        overdue = uow.desk.overdue_candidates(merchant_id=merchant_id, now=now)
    breached = Counter(queue for queue, clock in overdue if is_breached(clock, now))
    summaries = []
    for name in queue_names(tenant):
        rows = [c for c in counts if c.queue == name]
        dues = [c.oldest_due for c in rows if c.oldest_due is not None and c.status in UNRESOLVED]
        summaries.append(
            QueueSummary(
                name=name,
                counts={status: sum(c.count for c in rows if c.status is status) for status in TicketStatus},
                oldest_due=min(dues) if dues else None,
                breached=breached[name],
            )
        )
    return summaries


def queue_tickets(
    uow_factory: UnitOfWorkFactory,
    *,
    tenant: Tenant,
    queue: str,
    now: datetime,
    limit: int = 50,
    cursor: str | None = None,
    statuses: tuple[TicketStatus, ...] = UNRESOLVED,
) -> QueuePage:
    """A page of the queue's unresolved tickets: highest priority first, then the earliest due.

    `cursor` is the previous page's `next_cursor` (opaque); None on the last page."""
    require_queue(tenant, queue)
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit: from 1 to {MAX_PAGE}")
    after = decode_cursor(cursor) if cursor else None
    with uow_factory() as uow:
        rows = uow.desk.queue_page(
            merchant_id=tenant.merchant.id, queue=queue, statuses=statuses, limit=limit + 1, after=after
        )
    page, more = rows[:limit], len(rows) > limit
    last = page[-1] if page else None
    return QueuePage(
        queue=queue,
        tickets=[QueueTicket(ticket=t, sla=sla_state(t, now)) for t in page],
        next_cursor=encode_cursor((last.priority, last.first_response_due, last.id))
        if more and last
        else None,
    )


def encode_cursor(position: Cursor) -> str:
    """`priority.due.id`, the due time in microseconds since 1970 (the page's last ticket)."""
    priority, due, ticket_id = position
    return f"{priority}.{(due - EPOCH) // MICROSECOND}.{ticket_id}"


def decode_cursor(cursor: str) -> Cursor:
    match = CURSOR.fullmatch(cursor)
    if match is None:
        raise InvalidInput("cursor: not a cursor this API gave")
    priority, due, ticket_id = match.groups()
    return int(priority), EPOCH + int(due) * MICROSECOND, int(ticket_id)
