"""`rapport simulate`'s result as tables, notes and chart data: what the terminal and the HTML report show."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from decimal import Decimal

from rich.table import Table

from rapport.drafting.locale_format import money_text
from rapport.engine.queueing import ResponseStats
from rapport.engine.replay import GroupComparison, SideTally
from rapport.policy import Policy
from rapport.policy.durations import format_duration
from rapport.services.segments import SegmentSizes
from rapport.services.simulation import SideResponse, Simulation

Rows = list[list[str]]
ZERO = Decimal(0)
DECISION_HEADERS = ("tickets", "changed", "kind", "amount", "capped", "budget out", "escalated")
MONEY_HEADERS = ("current", "candidate", "difference")
RESPONSE_HEADERS = ("tickets", "median", "p90", "within SLA")


class SimulationView:
    """The simulation as tables, notes and chart data, shared by the terminal and the HTML report."""

    def __init__(
        self, result: Simulation, current: Policy, candidate: Policy, sizes: SegmentSizes | None = None
    ) -> None:
        self.result = result
        self.current = current
        self.candidate = candidate
        self.sizes = sizes
        self.locale = current.brand.locale

    def tables(self) -> list[tuple[str, Sequence[str], Rows]]:
        replay, r = self.result.replay, self.result
        return [
            (
                "Decisions by segment (current → candidate; changed: of today's tickets)",
                ("segment", *DECISION_HEADERS),
                self._decisions(replay.segments),
            ),
            (
                "Decisions by queue (current → candidate)",
                ("queue", *DECISION_HEADERS),
                self._decisions(replay.queues),
            ),
            ("Money offered by segment", ("segment", *MONEY_HEADERS), self._offered(replay.segments)),
            ("Offer kinds that change", ("current offer", "candidate offer", "tickets"), self._transitions()),
            (
                "Predicted first-response times by queue (current → candidate)",
                ("queue", "agents", "target", *RESPONSE_HEADERS),
                self._queue_responses(),
            ),
            (
                "Predicted first-response times by segment (current → candidate)",
                ("segment", *RESPONSE_HEADERS),
                self._responses(r.current.segments, r.candidate.segments, self._total_response()),
            ),
            *self._sizes(),
        ]

    def _sizes(self) -> list[tuple[str, Sequence[str], Rows]]:
        if self.sizes is None:
            return []
        rows = [
            [name, _count(before), _count(after), f"{(after or 0) - (before or 0):+,}"]
            for name, before, after in self.sizes.rows
        ]
        title = "Customers per segment in the store now (current → candidate)"
        return [(title, ("segment", "current", "candidate", "difference"), rows)]

    def notes(self) -> list[str]:
        r = self.result
        given = sorted(set(r.agents) - set(r.sized_queues))
        notes = []
        if r.sized_queues:
            sized = ", ".join(f"{q}={r.agents[q]}" for q in r.sized_queues)
            notes.append(
                f"Agents not given for {sized}: sized so that the current policy's load keeps them at most "
                "85 % busy (today's staffing assumed adequate for today's traffic); --agents changes it."
            )
        if given:
            notes.append("Agents given: " + ", ".join(f"{q}={r.agents[q]}" for q in given) + ".")
        if r.sampled_handling:
            notes.append(
                f"{r.sampled_handling} tickets had no handling time: sampled from tickets of the same intent "
                "(--seed makes it repeatable)."
            )
        return notes

    def _money(self, money: Mapping[str, Decimal]) -> str:
        if not money:
            return "-"
        return "\n".join(money_text(v, c, self.locale) for c, v in sorted(money.items()))

    def _offered(self, groups: Mapping[str, GroupComparison]) -> Rows:
        rows = [*groups.items(), ("all", self.result.replay.total)]
        return [[name, *self._money_row(g.current, g.candidate)] for name, g in rows]

    def _money_row(self, now: SideTally, then: SideTally) -> list[str]:
        currencies = sorted({*now.money, *then.money})
        change = {c: then.money.get(c, ZERO) - now.money.get(c, ZERO) for c in currencies}
        signed = "\n".join(
            ("+" if change[c] > 0 else "") + money_text(change[c], c, self.locale) for c in currencies
        )
        return [self._money(now.money), self._money(then.money), signed or "-"]

    def _decisions(self, groups: Mapping[str, GroupComparison]) -> Rows:
        rows = [self._decision_row(name, group) for name, group in groups.items()]
        return [*rows, self._decision_row("all", self.result.replay.total)]

    def _decision_row(self, name: str, g: GroupComparison) -> list[str]:
        now, then = g.current, g.candidate
        return [
            name,
            _pair(now.tickets, then.tickets),
            str(g.changed),
            str(g.kind_changed),
            str(g.amount_changed),
            _pair(now.capped, then.capped),
            _pair(now.budget_exhausted, then.budget_exhausted),
            _pair(now.escalated, then.escalated),
        ]

    def _transitions(self) -> Rows:
        moves = self.result.replay.total.transitions.most_common(10)
        return [[before, after, str(count)] for (before, after), count in moves]

    def _total_response(self) -> tuple[ResponseStats, ResponseStats]:
        return self.result.current.total, self.result.candidate.total

    def _queue_responses(self) -> Rows:
        targets = _targets(self.current), _targets(self.candidate)
        rows = []
        for row in self._responses(self.result.current.queues, self.result.candidate.queues, None):
            queue = row[0]
            target = _pair_text(targets[0].get(queue, "-"), targets[1].get(queue, "-"))
            rows.append([queue, str(self.result.agents.get(queue, "-")), target, *row[1:]])
        return rows

    def _responses(
        self,
        now: Mapping[str, ResponseStats],
        then: Mapping[str, ResponseStats],
        total: tuple[ResponseStats, ResponseStats] | None,
    ) -> Rows:
        empty = ResponseStats(0, 0.0, 0.0, 0)
        rows = [_response_row(n, now.get(n, empty), then.get(n, empty)) for n in dict.fromkeys([*now, *then])]
        return rows if total is None else [*rows, _response_row("all", *total)]

    def chart_data(self) -> list[tuple[str, list[str], dict[str, list[float]], str]]:
        """(title, categories, series, y label) of each chart of the HTML report."""
        replay, r = self.result.replay, self.result
        segments = list(replay.segments)
        queues = list(dict.fromkeys([*r.current.queues, *r.candidate.queues]))
        charts = []
        for currency in sorted(
            {c for g in replay.segments.values() for t in (g.current, g.candidate) for c in t.money}
        ):
            charts.append(
                (
                    f"Money offered by segment ({currency})",
                    segments,
                    {
                        "current": [
                            float(replay.segments[s].current.money.get(currency, Decimal(0)))
                            for s in segments
                        ],
                        "candidate": [
                            float(replay.segments[s].candidate.money.get(currency, Decimal(0)))
                            for s in segments
                        ],
                    },
                    currency,
                )
            )
        charts.append(
            (
                "Decisions changed by segment",
                segments,
                {"changed": [float(replay.segments[s].changed) for s in segments]},
                "tickets",
            )
        )
        charts.append(_response_chart("SLA attainment by queue", queues, r.current, r.candidate, "%"))
        charts.append(
            _response_chart("p90 first response by queue", queues, r.current, r.candidate, "minutes")
        )
        return charts


def _response_chart(
    title: str, queues: list[str], now: SideResponse, then: SideResponse, unit: str
) -> tuple[str, list[str], dict[str, list[float]], str]:
    def value(side: SideResponse, queue: str) -> float:
        stats = side.queues.get(queue)
        if stats is None:
            return 0.0
        return 100 * stats.attainment if unit == "%" else stats.p90

    series = {"current": [value(now, q) for q in queues], "candidate": [value(then, q) for q in queues]}
    return title, queues, series, unit


def _targets(policy: Policy) -> dict[str, str]:
    return {q.name: format_duration(q.first_response) for q in policy.queues}


def _response_row(name: str, now: ResponseStats, then: ResponseStats) -> list[str]:
    return [
        name,
        _pair(now.tickets, then.tickets),
        _pair_text(minutes_text(now.median), minutes_text(then.median)),
        _pair_text(minutes_text(now.p90), minutes_text(then.p90)),
        _pair_text(f"{100 * now.attainment:.0f} %", f"{100 * then.attainment:.0f} %"),
    ]


def minutes_text(minutes: float) -> str:
    """A predicted time as people read it: 42 min, 3.5 h, 2.1 d."""
    if minutes < 90:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{timedelta(minutes=minutes) / timedelta(days=1):.1f} d"


def _pair(now: int, then: int) -> str:
    return _pair_text(str(now), str(then))


def _pair_text(now: str, then: str) -> str:
    return now if now == then else f"{now} → {then}"


def rich_table(title: str, headers: Sequence[str], rows: Rows) -> Table:
    table = Table(title=title, title_justify="left")
    for index, header in enumerate(headers):
        table.add_column(header, justify="left" if index == 0 else "right", no_wrap=index == 0)
    for row in rows:
        table.add_row(*row)
    return table


def _count(customers: int | None) -> str:
    return "-" if customers is None else f"{customers:,}"
