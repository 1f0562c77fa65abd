"""`rapport follow-ups list|retry`: the merchant's follow-ups and where each stands; retry a dead one."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from rapport.bootstrap import follow_up_units
from rapport.cli.context import EXIT_INPUT, EXIT_OK, application, console, parse_now, reported_errors
from rapport.domain.follow_ups import FollowUpStatus
from rapport.services.follow_ups.admin import list_follow_ups, retry_follow_up

follow_ups_app = typer.Typer(help="Follow-ups: list them, retry a dead one.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add `rapport follow-ups` to the application."""
    app.add_typer(follow_ups_app, name="follow-ups")


@follow_ups_app.command("list")
def list_command(
    status: Annotated[
        str | None, typer.Option(help="scheduled, sending, sent, failed, dead or cancelled.")
    ] = None,
    ticket: Annotated[int | None, typer.Option(help="Only this ticket's.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
) -> None:
    """The merchant's follow-ups in the order they are due."""
    wanted = _status(status)
    with reported_errors():
        rapport = application()
        entries = list_follow_ups(
            follow_up_units(rapport),
            merchant_id=rapport.merchant.id,
            status=wanted,
            ticket_id=ticket,
            limit=limit,
        )
    table = Table()
    for name in ("id", "ticket", "to", "kind", "status", "due", "attempts", "last error"):
        # The columns a script or a person scans keep their words whole; the e-mail and the error fold.
        table.add_column(name, no_wrap=name in ("id", "ticket", "status", "due", "attempts"))
    for e in entries:
        table.add_row(
            str(e.id),
            str(e.ticket_id),
            e.email,
            e.kind,
            e.status.value,
            f"{e.due_at:%Y-%m-%d %H:%M}",
            str(e.attempts),
            (e.last_error or e.cancelled_reason or "")[:60],
        )
    console.print(table)
    raise typer.Exit(EXIT_OK)


@follow_ups_app.command("retry")
def retry_command(
    follow_up_id: Annotated[int, typer.Argument(help="The follow-up's id (rapport follow-ups list).")],
    now: Annotated[str | None, typer.Option(help="When it becomes due (ISO 8601; default: now).")] = None,
) -> None:
    """Make a dead follow-up due again, its attempts counted from zero."""
    with reported_errors():
        rapport = application()
        entry = retry_follow_up(
            follow_up_units(rapport),
            merchant_id=rapport.merchant.id,
            follow_up_id=follow_up_id,
            now=parse_now(now),
        )
    console.print(f"follow-up {entry.id} is {entry.status.value}, due {entry.next_attempt_at:%Y-%m-%d %H:%M}")
    raise typer.Exit(EXIT_OK)


def _status(value: str | None) -> FollowUpStatus | None:
    if value is None:
        return None
    try:
        return FollowUpStatus(value)
    except ValueError:
        typer.echo(f"error: --status: one of {', '.join(s.value for s in FollowUpStatus)}", err=True)
        raise typer.Exit(EXIT_INPUT) from None
