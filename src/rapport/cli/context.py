"""What every command needs: the application (built by `rapport.bootstrap`), the consoles, and one way
to report expected errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from rapport.bootstrap import Rapport, build
from rapport.config import Settings, load_settings
from rapport.domain.errors import RapportError
from rapport.policy import PolicyError
from rapport.schemas import parse_instant

console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    """The settings as the environment says now (cheap to read; not cached so tests can vary them)."""
    return load_settings()


def application(policy: Path | None = None) -> Rapport:
    """The application as configured; `policy` (from `--policy`) overrides the configured policy file."""
    return build(load_settings(), policy_path=policy)


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


def parse_now(value: str | None) -> datetime:
    """`--now` as an aware datetime (UTC when no offset is given); the real clock when absent."""
    return datetime.now(UTC) if value is None else parse_instant(value, where="--now")


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
