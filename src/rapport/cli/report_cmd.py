"""`rapport report`: outcomes of the merchant's tickets per segment and per queue, as tables and HTML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rapport.cli.context import EXIT_INPUT, application, console, parse_now, reported_errors
from rapport.schemas import parse_instant
from rapport.schemas.report import ReportOut
from rapport.services.reports import (
    Report,
    ReportTable,
    outcome_report,
    report_html,
    report_notes,
    report_tables,
)


def register(app: typer.Typer) -> None:
    """Add `rapport report` to the application."""

    @app.command("report")
    def report_command(
        since: Annotated[
            str | None, typer.Option("--since", help="Tickets received from (ISO 8601, e.g. 2026-11-01).")
        ] = None,
        until: Annotated[
            str | None, typer.Option("--until", help="Tickets received before (ISO 8601).")
        ] = None,
        html: Annotated[Path | None, typer.Option("--html", help="Also write an HTML report here.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
        now: Annotated[
            str | None, typer.Option("--now", help="Report as of this ISO 8601 time (default: now).")
        ] = None,
    ) -> None:
        """Per segment and queue: tickets, SLA, first-reply and resolution times, cost, CSAT, reorders."""
        with reported_errors():
            start = None if since is None else parse_instant(since, where="--since")
            end = None if until is None else parse_instant(until, where="--until")
            as_of = parse_now(now)
            app = application()
            tenant = app.tenant(app.merchant.id)
            report = outcome_report(
                app.uow_factory,
                merchant_id=tenant.merchant.id,
                policy=tenant.policy,
                now=as_of,
                since=start,
                until=end,
            )
        if as_json:
            typer.echo(json.dumps(_json(report), indent=2))
        else:
            _print(report)
        if html is not None:
            _write_html(html, report)


def _print(report: Report) -> None:
    if not report.figures.total.tickets:
        console.print(f"No tickets {report.period}.", highlight=False)
        return
    for table in report_tables(report):
        console.print(_rich(table))
    for note in report_notes(report):
        console.print(note, highlight=False)


def _json(report: Report) -> object:
    out = ReportOut.from_figures(
        report.figures, since=report.since, until=report.until, as_of=report.now, currency=report.currency
    )
    return out.model_dump(mode="json")


def _rich(table: ReportTable) -> Table:
    rich = Table(title=table.title, title_justify="left")
    for index, header in enumerate(table.headers):
        rich.add_column(header, justify="left" if index == 0 else "right", no_wrap=index == 0)
    for row in table.rows:
        rich.add_row(*row)
    return rich


def _write_html(path: Path, report: Report) -> None:
    try:
        path.write_text(report_html(report), encoding="utf-8")
    except OSError as exc:
        typer.echo(f"error: {path}: cannot write the report ({exc})", err=True)
        raise typer.Exit(EXIT_INPUT) from None
    typer.echo(f"report written: {path}", err=True)
