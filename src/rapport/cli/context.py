"""What every command needs: settings, the store, the policy, and one way to report expected errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from rapport.config import Settings, load_settings
from rapport.domain.errors import InvalidInput, RapportError
from rapport.policy import Policy, PolicyError, default_policy_text, load_policy, parse_policy
from rapport.store.unit_of_work import UnitOfWork, units_of_work

console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    """The settings as the environment says now (cheap to read; not cached so tests can vary them)."""
    return load_settings()


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn an expected failure into one line on stderr and an exit code (2 for a bad policy)."""
    try:
        yield
    except PolicyError as exc:
        # Plain lines, never wrapped: editors and scripts parse FILE:LINE.
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    except RapportError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None


def uow_factory(database_url: str | None = None) -> Callable[[], UnitOfWork]:
    """A factory of units of work on the configured database, migrated to the current schema."""
    return units_of_work(database_url or settings().database_url)


def policy_from(path: Path | None) -> Policy:
    """The merchant policy: the given file, else the configured one, else the packaged default."""
    chosen = path or settings().policy_path
    if chosen.exists():
        return load_policy(chosen)
    if path is not None:
        raise InvalidInput(f"policy file {path} does not exist")
    err_console.print(
        f"note: {chosen} not found; using the default policy (run `rapport init` to write it)",
        markup=False,
    )
    return parse_policy(default_policy_text(), "<default policy>")


def parse_now(value: str | None) -> datetime:
    """`--now` as an aware datetime (UTC when no offset is given); the real clock when absent."""
    if value is None:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"--now {value!r} is not an ISO 8601 date-time (e.g. 2026-11-20T12:00:00+00:00)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def progress_bar() -> Progress:
    """The progress bar of long work (imports, syncs), on stderr so that stdout stays parseable."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
