"""`rapport simulate`: replay past tickets under the current and a candidate policy, side by side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rapport.cli.context import (
    EXIT_INPUT,
    EXIT_OK,
    EXIT_PARTIAL,
    application,
    console,
    reported_errors,
    settings,
)
from rapport.domain.errors import InvalidInput
from rapport.drafting.locale_format import money_text
from rapport.engine.queueing import ResponseStats
from rapport.engine.replay import GroupComparison, SideTally
from rapport.policy import Policy, default_policy, load_policy
from rapport.policy.durations import format_duration
from rapport.schemas import parse_instant
from rapport.services.simulation import (
    History,
    SideResponse,
    Simulation,
    history_from_store,
    read_history,
    simulate,
)

Rows = list[list[str]]
ZERO = Decimal(0)
DECISION_HEADERS = ("tickets", "changed", "kind", "amount", "capped", "budget out", "escalated")
MONEY_HEADERS = ("current", "candidate", "difference")
RESPONSE_HEADERS = ("tickets", "median", "p90", "within SLA")


def parse_agents(value: str | None) -> dict[str, int]:
    """`--agents priority=3,standard=5` as {"priority": 3, "standard": 5}."""
    agents: dict[str, int] = {}
    for part in (value or "").split(","):
        if not part.strip():
            continue
        queue, sep, count = part.partition("=")
        if not sep or not queue.strip() or not count.strip().isdigit():
            raise InvalidInput(f"--agents: {part.strip()!r} is not QUEUE=N (e.g. priority=3,standard=5)")
        agents[queue.strip()] = int(count)
    return agents


def _current_policy(path: Path | None) -> tuple[Policy, str]:
    if path is not None:
        return load_policy(path), str(path)
    configured = settings().policy_path
    if configured.exists():
        return load_policy(configured), str(configured)
    return default_policy(), "the shipped default policy (no policy file configured)"


def register(app: typer.Typer) -> None:
    """Add `rapport simulate` to the application."""

    @app.command("simulate")
    def simulate_command(
        policy: Annotated[Path, typer.Option("--policy", help="The candidate policy file.")],
        current: Annotated[
            Path | None, typer.Option("--current", help="The policy in force (default: rapport.yaml).")
        ] = None,
        tickets: Annotated[
            Path | None, typer.Option("--tickets", help="A JSONL ticket history (docs/simulation.md).")
        ] = None,
        from_store: Annotated[
            bool, typer.Option("--from-store", help="Replay the store's tickets (with --since) instead.")
        ] = False,
        since: Annotated[
            str | None, typer.Option("--since", help="With --from-store: tickets from (ISO 8601).")
        ] = None,
        until: Annotated[
            str | None, typer.Option("--until", help="With --from-store: tickets before (ISO 8601).")
        ] = None,
        agents: Annotated[
            str | None,
            typer.Option("--agents", help="Agents per queue, e.g. priority=3,standard=5 (default: sized)."),
        ] = None,
        seed: Annotated[int, typer.Option("--seed", help="Seed for sampled handling times.")] = 0,
        html: Annotated[Path | None, typer.Option("--html", help="Also write an HTML report here.")] = None,
    ) -> None:
        """Replay past tickets under the current and a candidate policy: decisions, money, queues, SLAs."""
        with reported_errors():
            source = _source(tickets, from_store=from_store, since=since)
            staffing = parse_agents(agents)
            candidate = load_policy(policy)
            now_policy, now_source = _current_policy(current)
            history = _read(tickets, since=since, until=until, current=current)
            result = simulate(
                history.tickets, current=now_policy, candidate=candidate, agents=staffing, seed=seed
            )
        _report_bad_lines(source, history)
        if not history.tickets:
            typer.echo(f"error: {source}: no usable ticket", err=True)
            raise typer.Exit(EXIT_INPUT)
        view = SimulationView(result, now_policy, candidate)
        console.print(f"current: {now_source}; candidate: {policy}; {len(history.tickets)} tickets")
        for title, headers, rows in view.tables():
            console.print(_table(title, headers, rows))
        for note in view.notes():
            console.print(note, highlight=False)
        if html is not None:
            _write_html(html, view, subtitle=f"{policy} against {now_source}, {len(history.tickets)} tickets")
            console.print(f"report written: {html}")
        raise typer.Exit(EXIT_PARTIAL if history.bad_count else EXIT_OK)


def _source(tickets: Path | None, *, from_store: bool, since: str | None) -> str:
    """Where the history comes from, named for messages; exactly one of --tickets and --from-store."""
    if (tickets is None) == (not from_store):
        raise InvalidInput("give the ticket history: --tickets FILE.jsonl or --from-store --since DATE")
    if from_store and since is None:
        raise InvalidInput("--from-store needs --since (e.g. --since 2026-11-01)")
    if not from_store and since is not None:
        raise InvalidInput("--since goes with --from-store")
    return str(tickets) if tickets is not None else "store"


def _read(tickets: Path | None, *, since: str | None, until: str | None, current: Path | None) -> History:
    if tickets is not None:
        return read_history(tickets)
    start = parse_instant(since or "", where="--since")
    end = None if until is None else parse_instant(until, where="--until")
    app = application(current)  # the merchant's store, opened with the policy in force
    return history_from_store(
        app.uow_factory, merchant_id=app.merchant.id, since=start, until=end, classifier=app.classifier
    )


def _report_bad_lines(path: str, history: History) -> None:
    for bad in history.bad_lines:
        typer.echo(f"{path}:{bad.line}: {bad.message}", err=True)
    if history.bad_count > len(history.bad_lines):
        typer.echo(f"{path}: {history.bad_count - len(history.bad_lines)} more bad lines not shown", err=True)
    if history.bad_count:
        typer.echo(f"{path}: {history.bad_count} bad lines skipped, the others simulated", err=True)


class SimulationView:
    """The simulation as tables, notes and chart data, shared by the terminal and the HTML report."""

    def __init__(self, result: Simulation, current: Policy, candidate: Policy) -> None:
        self.result = result
        self.current = current
        self.candidate = candidate
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
        ]

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


def _table(title: str, headers: Sequence[str], rows: Rows) -> Table:
    table = Table(title=title, title_justify="left")
    for index, header in enumerate(headers):
        table.add_column(header, justify="left" if index == 0 else "right", no_wrap=index == 0)
    for row in rows:
        table.add_row(*row)
    return table


def _write_html(path: Path, view: SimulationView, *, subtitle: str) -> None:
    """The page: the notes on staffing, one section per chart (its title names the picture), the tables."""
    from rapport.charts import Section, bar_chart, html_report

    sections = [Section("How this was simulated", notes=tuple(view.notes()))]
    sections += [
        Section(title, charts=(bar_chart(title, categories, series, ylabel=unit),))
        for title, categories, series, unit in view.chart_data()
    ]
    sections += [
        Section(title, headers=tuple(headers), rows=tuple(tuple(r) for r in rows))
        for title, headers, rows in view.tables()
    ]
    try:
        path.write_text(html_report("Policy simulation", sections, subtitle=subtitle), encoding="utf-8")
    except OSError as exc:
        typer.echo(f"error: {path}: cannot write the report ({exc})", err=True)
        raise typer.Exit(EXIT_INPUT) from None
