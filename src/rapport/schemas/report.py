"""The outcome report as JSON (`rapport report --json`): figures per segment and per queue, unformatted.

Times are minutes, shares are 0..1, money is a decimal string in the policy's currency; a figure with
nothing to compute it from (no answered ticket, no CSAT answer, no elapsed reorder window) is null.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from rapport.engine.outcomes import GroupOutcomes, OutcomeReport, Rate, SlaOutcome


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)


class RateOut(_Out):
    hits: int
    counted: int
    share: float | None

    @classmethod
    def from_rate(cls, rate: Rate) -> RateOut:
        return cls(hits=rate.hits, counted=rate.counted, share=rate.share)


class GroupOut(_Out):
    """One segment's, one queue's, or all tickets' figures."""

    tickets: int
    sla_met: int
    sla_missed: int
    sla_pending: int
    no_due_time: int
    sla_attainment: float | None
    first_response_median_minutes: float | None
    first_response_p90_minutes: float | None
    resolved: int
    resolution_median_minutes: float | None
    granted: Decimal
    granted_per_ticket: Decimal
    csat_mean: float | None
    csat_answers: int
    reordered_30d: RateOut
    reordered_90d: RateOut

    @classmethod
    def from_group(cls, group: GroupOutcomes) -> GroupOut:
        return cls(
            tickets=group.tickets,
            sla_met=group.sla[SlaOutcome.MET],
            sla_missed=group.sla[SlaOutcome.MISSED],
            sla_pending=group.sla[SlaOutcome.PENDING],
            no_due_time=group.sla[SlaOutcome.NO_DUE_TIME],
            sla_attainment=group.attainment,
            first_response_median_minutes=group.first_response_median,
            first_response_p90_minutes=group.first_response_p90,
            resolved=group.resolved,
            resolution_median_minutes=group.resolution_median,
            granted=group.granted,
            granted_per_ticket=group.granted_per_ticket,
            csat_mean=group.csat_mean,
            csat_answers=group.csat.counted,
            reordered_30d=RateOut.from_rate(group.reorders[30]),
            reordered_90d=RateOut.from_rate(group.reorders[90]),
        )


class ReportOut(_Out):
    """The report of the tickets received in [since, until) (null: open), as of `as_of`."""

    since: datetime | None
    until: datetime | None
    as_of: datetime
    currency: str
    segments: dict[str, GroupOut]
    queues: dict[str, GroupOut]
    total: GroupOut

    @classmethod
    def from_figures(
        cls,
        figures: OutcomeReport,
        *,
        since: datetime | None,
        until: datetime | None,
        as_of: datetime,
        currency: str,
    ) -> ReportOut:
        return cls(
            since=since,
            until=until,
            as_of=as_of,
            currency=currency,
            segments={name: GroupOut.from_group(g) for name, g in figures.segments.items()},
            queues={name: GroupOut.from_group(g) for name, g in figures.queues.items()},
            total=GroupOut.from_group(figures.total),
        )
