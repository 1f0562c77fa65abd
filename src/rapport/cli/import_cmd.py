"""`rapport import`: the JSON Lines format, or Shopify's own admin CSV exports.

Exit codes: 0 every line imported; 1 some lines or rows were rejected (every other one was imported);
2 the file cannot be used (missing, a folder, unreadable, binary, not the export it is said to be, or a
CSV unreadable past some line, the batches before it staying imported): one line, never a traceback.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import typer

from rapport.bootstrap import build
from rapport.cli.context import console, err_console, progress_bar, settings
from rapport.domain.errors import InvalidInput
from rapport.services.importing import import_jsonl

SHOPIFY_KINDS = ("shopify-customers", "shopify-orders")


def run_import(source: str, file: Path | None) -> int:
    """Import a file; returns the exit code (1 when some lines were rejected, 0 otherwise).

    A file that cannot be imported at all raises `InvalidInput` (exit 2)."""
    if source in SHOPIFY_KINDS:
        if file is None:
            raise InvalidInput(f"usage: rapport import {source} FILE.csv")
        return _import_shopify_csv(source, file)
    if file is not None:
        raise InvalidInput(
            f"unknown import source {source!r}; use a .jsonl file or one of {', '.join(SHOPIFY_KINDS)}"
        )
    path = Path(source)
    _readable(path)
    app = build(settings())
    with progress_bar() as progress:
        task = progress.add_task(f"importing {path.name}", total=path.stat().st_size)
        report = import_jsonl(
            app.uow_factory,
            path=path,
            merchant=app.merchant,
            progress=lambda done: progress.update(task, completed=done),
            policy=app.policy,
        )
    for kind, counts in sorted(report.counts.items()):
        console.print(f"{kind}: {counts.inserted} inserted, {counts.updated} updated")
    for line, message in report.errors:
        typer.echo(f"{path}:{line}: {message}", err=True)
    if report.errors:
        err_console.print(f"{len(report.errors)} line(s) rejected; all other lines were imported")
        return 1
    return 0


def _import_shopify_csv(kind: str, file: Path) -> int:
    from rapport.services.ingestion.csv_import import import_shopify_csv

    _readable(file)
    app = build(settings())
    with progress_bar() as progress:
        task = progress.add_task(f"importing {file.name}", total=file.stat().st_size)
        report = import_shopify_csv(
            app.uow_factory,
            app.shopify_csv(),
            kind=kind,
            path=file,
            merchant=app.merchant,
            rules=app.signal_rules(),
            now=datetime.now(UTC),
            policy=app.policy,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    console.print(f"{kind}: {report.imported} imported from {report.rows} rows ({report.encoding})")
    for line, message in report.errors[:20]:
        typer.echo(f"{file}:{line}: {message}", err=True)
    if report.rejected:
        err_console.print(
            f"{report.rejected} row(s) rejected, written to {report.rejects_path}; all others imported"
        )
        return 1
    return 0


def _readable(path: Path) -> None:
    """Refuse, before anything is opened, a path that is no readable file (InvalidInput: exit 2)."""
    if not path.exists():
        raise InvalidInput(f"{path}: no such file")
    if not path.is_file():
        raise InvalidInput(f"{path}: not a file")
    if not os.access(path, os.R_OK):
        raise InvalidInput(f"{path}: cannot read (permission denied)")
