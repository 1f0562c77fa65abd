"""Outcomes of past tickets, per segment and per queue: SLA attainment, response and resolution times,
what was granted, CSAT and whether the customer ordered again.

Pure: plain facts of each ticket in, figures out; the caller passes `now` (what is still pending, which
reorder windows have elapsed). Times are minutes; percentiles are nearest-rank, like the simulator's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from rapport.engine.queueing import percentile
from rapport.engine.sla import SlaClock, is_breached

CENT = Decimal("0.01")
REORDER_WINDOWS_DAYS = (30, 90)


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What the report needs of one ticket, as stored (`next_order_at`: the customer's first order
    after the resolution, cancelled ones left out; `granted`: the ledger's sum in the policy's currency)."""

    ticket_id: int
    segment: str
    queue: str
    received_at: datetime
    first_response_due: datetime | None = None
    first_responded_at: datetime | None = None
    sla_paused_seconds: int = 0
    sla_paused_since: datetime | None = None
    resolved_at: datetime | None = None
    customer_id: int | None = None
    next_order_at: datetime | None = None
    granted: Decimal = Decimal(0)
    csat: int | None = None


class SlaOutcome(StrEnum):
    MET = "met"
    MISSED = "missed"
    PENDING = "pending"  # not answered yet, and not yet due
    NO_DUE_TIME = "no_due_time"


def sla_outcome(ticket: TicketFacts, now: datetime) -> SlaOutcome:
    """Met when first answered by the due time; missed when answered later or still unanswered past
    it (pauses while waiting on the customer push an unanswered ticket's due time back, as on the desk)."""
    if ticket.first_response_due is None:
        return SlaOutcome.NO_DUE_TIME
    clock = SlaClock(
        ticket.first_response_due,
        ticket.first_responded_at,
        ticket.sla_paused_seconds,
        ticket.sla_paused_since,
    )
    if is_breached(clock, now):
        return SlaOutcome.MISSED
    return SlaOutcome.MET if ticket.first_responded_at is not None else SlaOutcome.PENDING


def reordered_within(ticket: TicketFacts, days: int, now: datetime) -> bool | None:
    """Whether the customer ordered within `days` after the resolution; None when the ticket does not
    count: not resolved, no known customer, or the window has not fully elapsed by `now` (counting an
    early order but not an early absence would flatter the rate)."""
    if ticket.resolved_at is None or ticket.customer_id is None:
        return None
    end = ticket.resolved_at + timedelta(days=days)
    if end > now:
        return None
    return ticket.next_order_at is not None and ticket.next_order_at <= end


@dataclass(frozen=True, slots=True)
class Rate:
    """`hits` of `counted`; `share` is None when nothing was counted."""

    hits: int = 0
    counted: int = 0

    @property
    def share(self) -> float | None:
        return self.hits / self.counted if self.counted else None


@dataclass(frozen=True, slots=True)
class GroupOutcomes:
    """The figures of one group of tickets (a segment, a queue, or all)."""

    tickets: int
    sla: dict[SlaOutcome, int]
    responded: int
    first_response_median: float | None
    first_response_p90: float | None
    resolved: int
    resolution_median: float | None
    granted: Decimal
    granted_per_ticket: Decimal
    csat: Rate  # hits: the sum of the scores, counted: the answers
    reorders: dict[int, Rate]

    @property
    def attainment(self) -> float | None:
        """Met of (met + missed): tickets without a due time and pending ones are not in it."""
        judged = self.sla[SlaOutcome.MET] + self.sla[SlaOutcome.MISSED]
        return self.sla[SlaOutcome.MET] / judged if judged else None

    @property
    def csat_mean(self) -> float | None:
        return self.csat.share


@dataclass(frozen=True, slots=True)
class OutcomeReport:
    segments: dict[str, GroupOutcomes]
    queues: dict[str, GroupOutcomes]
    total: GroupOutcomes


@dataclass(frozen=True, slots=True)
class _Measured:
    """One ticket's figures, worked out once and added to its segment's, its queue's and the total."""

    sla: SlaOutcome
    response: float | None
    resolution: float | None
    reorders: tuple[tuple[int, bool | None], ...]

    @classmethod
    def of(cls, ticket: TicketFacts, now: datetime) -> _Measured:
        answered, resolved = ticket.first_responded_at, ticket.resolved_at
        return cls(
            sla=sla_outcome(ticket, now),
            response=None if answered is None else _minutes(ticket.received_at, answered),
            resolution=None if resolved is None else _minutes(ticket.received_at, resolved),
            reorders=tuple((days, reordered_within(ticket, days, now)) for days in REORDER_WINDOWS_DAYS),
        )


@dataclass
class _Tally:
    tickets: int = 0
    sla: dict[SlaOutcome, int] = field(default_factory=lambda: dict.fromkeys(SlaOutcome, 0))
    responses: list[float] = field(default_factory=list)
    resolutions: list[float] = field(default_factory=list)
    granted: Decimal = Decimal(0)
    csat_sum: int = 0
    csat_answers: int = 0
    reorders: dict[int, list[int]] = field(default_factory=lambda: {d: [0, 0] for d in REORDER_WINDOWS_DAYS})

    def add(self, ticket: TicketFacts, measured: _Measured) -> None:
        self.tickets += 1
        self.sla[measured.sla] += 1
        if measured.response is not None:
            self.responses.append(measured.response)
        if measured.resolution is not None:
            self.resolutions.append(measured.resolution)
        if ticket.granted:
            self.granted += ticket.granted
        if ticket.csat is not None:
            self.csat_sum += ticket.csat
            self.csat_answers += 1
        for days, reordered in measured.reorders:
            if reordered is not None:
                counts = self.reorders[days]
                counts[0] += int(reordered)
                counts[1] += 1

    def figures(self) -> GroupOutcomes:
        self.responses.sort()
        self.resolutions.sort()
        per_ticket = self.granted / self.tickets if self.tickets else Decimal(0)
        return GroupOutcomes(
            tickets=self.tickets,
            sla=dict(self.sla),
            responded=len(self.responses),
            first_response_median=_percentile(self.responses, 0.5),
            first_response_p90=_percentile(self.responses, 0.9),
            resolved=len(self.resolutions),
            resolution_median=_percentile(self.resolutions, 0.5),
            granted=self.granted.quantize(CENT, ROUND_HALF_UP),
            granted_per_ticket=per_ticket.quantize(CENT, ROUND_HALF_UP),
            csat=Rate(self.csat_sum, self.csat_answers),
            reorders={days: Rate(hits, counted) for days, (hits, counted) in self.reorders.items()},
        )


def outcomes(tickets: Iterable[TicketFacts], *, now: datetime) -> OutcomeReport:
    """The figures per segment, per queue and for all tickets; groups with the most tickets first."""
    segments: defaultdict[str, _Tally] = defaultdict(_Tally)  # a tally made only for a new name
    queues: defaultdict[str, _Tally] = defaultdict(_Tally)
    total = _Tally()
    for ticket in tickets:
        measured = _Measured.of(ticket, now)
        segments[ticket.segment].add(ticket, measured)
        queues[ticket.queue].add(ticket, measured)
        total.add(ticket, measured)
    return OutcomeReport(segments=_figures(segments), queues=_figures(queues), total=total.figures())


def _figures(tallies: dict[str, _Tally]) -> dict[str, GroupOutcomes]:
    ordered = sorted(tallies.items(), key=lambda item: (-item[1].tickets, item[0]))
    return {name: tally.figures() for name, tally in ordered}


def _minutes(start: datetime, end: datetime) -> float:
    # A clock skew between systems must not make a negative duration.
    return max((end - start).total_seconds() / 60, 0.0)


def _percentile(ordered: Sequence[float], share: float) -> float | None:
    return percentile(ordered, share) if ordered else None
