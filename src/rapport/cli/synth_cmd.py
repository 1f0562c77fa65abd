"""`rapport synth`: write a large, realistic synthetic store into the configured database, fast.

The rows come from `services.synthetic_store` (deterministic for a seed and `--now`) and are written by
`store.bulk_load` (Core executemany on SQLite, COPY on PostgreSQL). The merchant (`--merchant`, default
RAPPORT_MERCHANT) is created when missing; one that already has customers is refused with exit 2, as
is a number of customers below 1: a synthetic store is never mixed into another (there is no append).
The database is migrated first, so a fresh SQLite file needs no `rapport init` (the policy file, for
`rapport profile` and `rapport segments count` afterwards, still does).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

import typer

from rapport.cli.context import console, parse_now, progress_bar, reported_errors, settings
from rapport.services.synthetic_store import TABLES, WITH_IDS, SyntheticStore, batches
from rapport.store.bulk_load import LoadCounts, empty_merchant, load, next_ids
from rapport.store.database import make_engine, upgrade


def synth(
    customers: Annotated[int, typer.Option("--customers", help="How many customers to generate (>= 1).")],
    orders_per_customer: Annotated[
        float, typer.Option("--orders-per-customer", help="Orders per customer on average (0 to 50).")
    ] = 5.0,
    seed: Annotated[int, typer.Option("--seed", help="The same seed (and --now) gives the same rows.")] = 14,
    merchant: Annotated[
        str | None,
        typer.Option(
            "--merchant", help="The merchant to fill (default: RAPPORT_MERCHANT); must have no customers."
        ),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option("--now", help="The store's present, ISO 8601 (default: the start of today, UTC)."),
    ] = None,
) -> None:
    """Write a synthetic store: customers with skewed spend, repeat orders and line items, subscriptions,
    loyalty tiers, tags and points, past support contacts and grants, and some open tickets."""
    with reported_errors():
        as_of = parse_now(now) if now is not None else _start_of_today()
        store = SyntheticStore(
            customers=customers, now=as_of, orders_per_customer=orders_per_customer, seed=seed
        )
        cfg = settings()
        slug = merchant or cfg.merchant
        engine = make_engine(cfg.database_url)
        try:
            upgrade(engine)
            merchant_id = empty_merchant(engine, slug=slug, currency=store.currency)
            started = time.perf_counter()
            with progress_bar() as progress:
                task = progress.add_task(f"synthesizing {slug}", total=customers)
                counts = load(
                    engine,
                    batches(store, merchant_id=merchant_id, first_ids=next_ids(engine, WITH_IDS)),
                    on_batch=lambda written: progress.advance(task, written.get("customers", 0)),
                    in_child=True,
                )
            seconds = time.perf_counter() - started
        finally:
            engine.dispose()
    _print(slug, counts, seconds)


def _start_of_today() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _print(slug: str, counts: LoadCounts, seconds: float) -> None:
    written = ", ".join(f"{counts.rows[t]:,} {t}" for t in TABLES if counts.rows.get(t))
    console.print(f"merchant {slug}: {written}", highlight=False)
    console.print(
        f"{counts.total:,} rows in {seconds:.1f} s ({counts.total / max(seconds, 1e-9):,.0f} rows/s)",
        highlight=False,
    )
