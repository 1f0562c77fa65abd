"""The outcome report (`rapport report`, the workspace's report page): what happened to a merchant's
tickets of a period, per segment and per queue, as figures, as tables of text and as one HTML page.

The figures are `engine.outcomes`'; this module reads the store once, then lays them out the same way
for the terminal, the HTML file and the workspace (docs/reports.md says how each one is computed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from rapport.charts import Section, bar_chart, html_report
from rapport.domain.errors import InvalidInput
from rapport.drafting.locale_format import money_text
from rapport.engine.outcomes import GroupOutcomes, OutcomeReport, Rate, SlaOutcome, outcomes
from rapport.policy import Policy
from rapport.services.ports import UnitOfWorkFactory

SERVICE_HEADERS = (
    "tickets",
    "within SLA",
    "pending",
    "no due time",
    "median 1st reply",
    "p90 1st reply",
    "median resolution",
)
VALUE_HEADERS = ("tickets", "granted", "per ticket", "CSAT", "ordered ≤30 d", "ordered ≤90 d")


@dataclass(frozen=True, slots=True)
class Report:
    """The figures of a merchant's tickets received in [since, until), as of `now`."""

    figures: OutcomeReport
    since: datetime | None
    until: datetime | None
    now: datetime
    currency: str
    locale: str

    @property
    def period(self) -> str:
        """Which tickets: "received from 2026-11-01, before 2026-12-01" (open ends: "up to now")."""
        parts = [f"from {self.since.date().isoformat()}"] if self.since else []
        parts.append(f"before {self.until.date().isoformat()}" if self.until else "up to now")
        return "received " + ", ".join(parts)


@dataclass(frozen=True, slots=True)
class ReportTable:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def outcome_report(
    uow_factory: UnitOfWorkFactory,
    *,
    merchant_id: int,
    policy: Policy,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Report:
    """The merchant's outcomes of the tickets received in [since, until) (open ends: all of them)."""
    if since is not None and until is not None and since >= until:
        raise InvalidInput(f"--since ({since.isoformat()}) must be before --until ({until.isoformat()})")
    with uow_factory() as uow:
        facts = uow.outcomes.ticket_facts(merchant_id=merchant_id, since=since, until=until)
    return Report(
        figures=outcomes(facts, now=now),
        since=since,
        until=until,
        now=now,
        currency=policy.currency,
        locale=policy.brand.locale,
    )


def report_tables(report: Report) -> list[ReportTable]:
    """The four tables of the report: service and value, each per segment and per queue."""
    figures = report.figures
    return [
        ReportTable(
            "Service by segment", ("segment", *SERVICE_HEADERS), _rows(figures, figures.segments, _service)
        ),
        ReportTable(
            "Service by queue", ("queue", *SERVICE_HEADERS), _rows(figures, figures.queues, _service)
        ),
        ReportTable(
            f"Cost, satisfaction and reorders by segment ({report.currency})",
            ("segment", *VALUE_HEADERS),
            _rows(figures, figures.segments, lambda g: _value(g, report)),
        ),
        ReportTable(
            f"Cost, satisfaction and reorders by queue ({report.currency})",
            ("queue", *VALUE_HEADERS),
            _rows(figures, figures.queues, lambda g: _value(g, report)),
        ),
    ]


def report_notes(report: Report) -> list[str]:
    """What a reader needs to read the figures right (the details are in docs/reports.md)."""
    return [
        f"Tickets {report.period}; figures as of {report.now.strftime('%Y-%m-%d %H:%M UTC')}.",
        "Within SLA: first replies by the due time, of the tickets answered or already overdue; tickets "
        "not yet due (pending) and tickets without a due time are counted apart.",
        "Ordered ≤30 d / ≤90 d: resolved tickets of known customers followed by an order within that "
        "many days of the resolution; tickets whose window has not ended yet are left out of the rate.",
        f"Granted: the ledger's grants of these tickets, in {report.currency}. CSAT: mean score (1-5) "
        "and the number of answers.",
    ]


def report_charts(report: Report) -> list[bytes]:
    """The report's charts as PNGs: SLA attainment, p90 first reply, cost, CSAT and reorders."""
    figures = report.figures
    if not figures.total.tickets:
        return []  # nothing to draw
    segments, queues = list(figures.segments), list(figures.queues)
    by_segment = list(figures.segments.values())
    by_queue = list(figures.queues.values())
    return [
        bar_chart(
            "Within SLA",
            [*segments, *(f"queue {q}" for q in queues)],
            {"within SLA": [_percent(g.attainment) for g in (*by_segment, *by_queue)]},
            ylabel="%",
        ),
        bar_chart(
            "First reply by queue (minutes)",
            queues,
            {
                "median": [g.first_response_median or 0.0 for g in by_queue],
                "p90": [g.first_response_p90 or 0.0 for g in by_queue],
            },
            ylabel="minutes",
        ),
        bar_chart(
            f"Granted by segment ({report.currency})",
            segments,
            {
                "total": [float(g.granted) for g in by_segment],
                "per ticket": [float(g.granted_per_ticket) for g in by_segment],
            },
            ylabel=report.currency,
        ),
        bar_chart("CSAT by segment", segments, {"mean score": [g.csat_mean or 0.0 for g in by_segment]}),
        bar_chart(
            "Ordered again after the resolution, by segment",
            segments,
            {f"≤{d} d": [_percent(g.reorders[d].share) for g in by_segment] for d in (30, 90)},
            ylabel="%",
        ),
    ]


def report_html(report: Report, *, title: str = "Support outcomes") -> str:
    """The whole report as one self-contained HTML page (tables, notes and PNG charts inline)."""
    sections = [Section("Charts", charts=tuple(report_charts(report)), notes=tuple(report_notes(report)))]
    sections.extend(Section(t.title, headers=t.headers, rows=t.rows) for t in report_tables(report))
    return html_report(title, sections, subtitle=f"Tickets {report.period}")


def _rows(
    figures: OutcomeReport, groups: Mapping[str, GroupOutcomes], cells: Callable[[GroupOutcomes], list[str]]
) -> tuple[tuple[str, ...], ...]:
    rows = [(name, *cells(group)) for name, group in groups.items()]
    return (*rows, ("all", *cells(figures.total)))


def _service(group: GroupOutcomes) -> list[str]:
    met, missed = group.sla[SlaOutcome.MET], group.sla[SlaOutcome.MISSED]
    return [
        str(group.tickets),
        _share(group.attainment, f"{met}/{met + missed}"),
        str(group.sla[SlaOutcome.PENDING]),
        str(group.sla[SlaOutcome.NO_DUE_TIME]),
        duration_text(group.first_response_median),
        duration_text(group.first_response_p90),
        duration_text(group.resolution_median),
    ]


def _value(group: GroupOutcomes, report: Report) -> list[str]:
    return [
        str(group.tickets),
        _money(group.granted, report),
        _money(group.granted_per_ticket, report),
        "-" if group.csat_mean is None else f"{group.csat_mean:.1f} ({group.csat.counted})",
        _rate(group.reorders[30]),
        _rate(group.reorders[90]),
    ]


def duration_text(minutes: float | None) -> str:
    """A duration as people read it: 42 min, 3.5 h, 2.1 d; "-" when there is none."""
    if minutes is None:
        return "-"
    if minutes < 90:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / (24 * 60):.1f} d"


def _money(amount: Decimal, report: Report) -> str:
    return money_text(amount, report.currency, report.locale)


def _rate(rate: Rate) -> str:
    return _share(rate.share, f"{rate.hits}/{rate.counted}")


def _share(share: float | None, counts: str) -> str:
    return "-" if share is None else f"{100 * share:.0f} % ({counts})"


def _percent(share: float | None) -> float:
    return 0.0 if share is None else 100 * share
