"""`rapport segments count`: how many of the merchant's customers each policy segment holds now.

Counted in SQL when every segment rule is in the subset the store can translate; otherwise every
customer's profile is run through the engine, and each rule that forced it is named on stderr.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from rapport.cli.context import application, console, parse_now, reported_errors
from rapport.services.segments import SegmentCounts, count_segments


def register(app: typer.Typer) -> None:
    """Add `rapport segments count` to the application."""
    segments_app = typer.Typer(help="The policy's customer segments.", no_args_is_help=True)

    @segments_app.command("count")
    def count_command(
        policy: Annotated[
            Path | None,
            typer.Option(
                "--policy", help="Count the segments of this policy file (default: the one in force)."
            ),
        ] = None,
        now: Annotated[
            str | None, typer.Option("--now", help="Count as of this ISO 8601 time (default: now).")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the counts as one JSON object.")] = False,
    ) -> None:
        """Each segment's number of customers, in policy order (first match wins)."""
        with reported_errors():
            as_of = parse_now(now)
            app = application(policy)
            chosen = app.policy if policy is not None else app.tenant(app.merchant.id).policy
            started = time.perf_counter()
            counts = count_segments(app.uow_factory, merchant_id=app.merchant.id, policy=chosen, now=as_of)
            seconds = time.perf_counter() - started
        for warning in counts.warnings:
            typer.echo(f"warning: {warning}", err=True)
        if as_json:
            typer.echo(json.dumps(_json(counts, as_of, seconds), indent=2))
        else:
            _print(counts, seconds)

    app.add_typer(segments_app, name="segments")


def _json(counts: SegmentCounts, as_of: datetime, seconds: float) -> dict[str, object]:
    return {
        "as_of": as_of.isoformat(),
        "method": counts.method,
        "seconds": round(seconds, 3),
        "total": counts.total,
        "segments": [{"name": s.name, "rule": s.rule, "customers": s.customers} for s in counts.segments],
        "warnings": list(counts.warnings),
    }


def _print(counts: SegmentCounts, seconds: float) -> None:
    table = Table(title="Customers per segment", title_justify="left")
    table.add_column("segment", no_wrap=True)
    table.add_column("rule")
    table.add_column("customers", justify="right")
    table.add_column("share", justify="right")
    for segment in counts.segments:
        share = f"{segment.customers / counts.total:.1%}" if counts.total else "-"
        table.add_row(
            segment.name,
            Text(segment.rule),  # a rule's `['a']` is not markup
            f"{segment.customers:,}",
            share,
        )
    console.print(table)
    how = "one SQL query" if counts.method == "sql" else "every profile, in Python"
    console.print(f"{counts.total:,} customers, counted with {how} in {seconds:.2f} s", highlight=False)
