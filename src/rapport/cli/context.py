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


# Failures of something outside the command line (the store, Shopify): trying again later may work.
# Every other expected failure is the input's (a file, an option, the policy, an unknown merchant).
RUNTIME_FAILURES = frozenset(
    {
        "store_unavailable",
        "shopify_error",
        "shopify_unavailable",
        "shopify_query_error",
        "shopify_bulk_operation_failed",
    }
)
EXIT_OK, EXIT_PARTIAL, EXIT_INPUT = 0, 1, 2


def exit_code_for(error: RapportError) -> int:
    """2 for a usage or input error (bad file, option value, policy, merchant); 1 for a runtime failure."""
    return EXIT_PARTIAL if error.code in RUNTIME_FAILURES else EXIT_INPUT


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn an expected failure into one line on stderr and its exit code (never a traceback)."""
    try:
        yield
    except PolicyError as exc:
        # Plain lines, never wrapped: editors and scripts parse FILE:LINE.
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_INPUT) from None
    except RapportError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(exit_code_for(exc)) from None


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
