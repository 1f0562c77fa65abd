"""`rapport simulate`: replay past tickets under the current and a candidate policy, side by side."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from rapport.bootstrap import build
from rapport.cli.context import (
    EXIT_INPUT,
    EXIT_OK,
    EXIT_PARTIAL,
    application,
    console,
    reported_errors,
    settings,
)
from rapport.cli.simulation_view import SimulationView, rich_table
from rapport.domain.errors import InvalidInput
from rapport.policy import Policy, default_policy, load_policy
from rapport.schemas import parse_instant
from rapport.services.segments import SegmentSizes, compare_segment_sizes
from rapport.services.simulation import (
    History,
    history_from_store,
    read_history,
    simulate,
)

Rows = list[list[str]]


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
        segment_sizes: Annotated[
            bool,
            typer.Option(
                "--segment-sizes", help="Also count the store's customers per segment under both policies."
            ),
        ] = False,
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
            sizes = _segment_sizes(now_policy, candidate) if segment_sizes else None
        _report_bad_lines(source, history)
        if not history.tickets:
            typer.echo(f"error: {source}: no usable ticket", err=True)
            raise typer.Exit(EXIT_INPUT)
        for warning in sizes.warnings if sizes is not None else ():
            typer.echo(f"warning: {warning}", err=True)
        view = SimulationView(result, now_policy, candidate, sizes)
        console.print(f"current: {now_source}; candidate: {policy}; {len(history.tickets)} tickets")
        for title, headers, rows in view.tables():
            console.print(rich_table(title, headers, rows))
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


def _segment_sizes(now_policy: Policy, candidate: Policy) -> SegmentSizes:
    """The whole store's customers per segment now, under each policy (SQL counts: seconds for 1M). The
    store is opened with the current policy as simulated, so no policy file is needed for it."""
    app = build(settings(), policy=now_policy)
    return compare_segment_sizes(
        app.uow_factory,
        merchant_id=app.merchant.id,
        current=now_policy,
        candidate=candidate,
        now=datetime.now(UTC),
    )


def _report_bad_lines(path: str, history: History) -> None:
    for bad in history.bad_lines:
        typer.echo(f"{path}:{bad.line}: {bad.message}", err=True)
    if history.bad_count > len(history.bad_lines):
        typer.echo(f"{path}: {history.bad_count - len(history.bad_lines)} more bad lines not shown", err=True)
    if history.bad_count:
        typer.echo(f"{path}: {history.bad_count} bad lines skipped, the others simulated", err=True)


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
