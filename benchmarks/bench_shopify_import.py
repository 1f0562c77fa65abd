"""CSV import of a Shopify orders export into SQLite, against sqlite3's own `.import` of the same file.

Prints rows/s for Rapport and the time ratio Rapport / sqlite3 (.import only loads raw text columns:
it is the floor, not a like-for-like competitor), with the load average (the machine may be shared).
Every order has its own creation time and total, as in a real export, so parsing caches do not flatter.
The bulk JSONL sync from the fake shop is printed beside the CSV import's rate of the same run (both
write orders into SQLite; the sync's lines are customers, orders and line items).
Usage: python benchmarks/bench_shopify_import.py [ROWS] [--repeat N] [--no-sync] [--in-process] [--smoke]
    [--json]
(--in-process: parse in the importing process instead of a forked one, to see what the second core adds;
--smoke: 2,000 rows, a 200-customer sync; --json: one JSON line)
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from rapport.connectors.shopify.csv_import import ShopifyCsvExports
from rapport.domain.signals import SignalRules
from rapport.services.ingestion.csv_import import import_shopify_csv
from rapport.store.database import make_engine, session_factory, upgrade
from rapport.store.unit_of_work import factory_for

HEADER = (
    Path(__file__).resolve().parents[2]
    / "shared/data/shopify/csv_export_headers/orders_export_header_only.csv"
)


def write_export(path: Path, rows: int, seed: int = 7) -> int:
    """A synthetic orders export with ~2 line items per order; returns the number of rows written."""
    rng = random.Random(seed)
    header = next(csv.reader(HEADER.open(encoding="utf-8")))
    written, number = 0, 1000
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(header)
        while written < rows:
            number += 1
            items = rng.randint(1, 3)
            created = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:"
            created += f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d} -0{rng.choice('45')}00"
            for i in range(items):
                row = dict.fromkeys(header, "")
                row.update(
                    {
                        "Name": f"#{number}",
                        "Lineitem quantity": str(rng.randint(1, 3)),
                        "Lineitem name": f"Product {rng.randint(1, 500)}",
                        "Lineitem price": "19.90",
                        "Lineitem sku": f"SKU-{rng.randint(1, 500)}",
                    }
                )
                if i == 0:
                    row.update(
                        {
                            "Email": f"c{rng.randint(1, rows // 5)}@example.com",
                            "Financial Status": "paid",
                            "Fulfillment Status": "fulfilled",
                            "Currency": "USD",
                            "Total": f"{rng.randint(500, 50_000) / 100:.2f}",
                            "Created at": created,
                            "Id": str(5_000_000 + number),
                        }
                    )
                out.writerow(row.values())
                written += 1
    return written


def time_rapport(path: Path, db: Path, *, in_process: bool = False) -> float:
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    sessions = session_factory(engine)
    parse_in_child = False if in_process else None  # None: the default (a forked parser where possible)
    start = time.perf_counter()
    report = import_shopify_csv(
        factory_for(sessions),
        ShopifyCsvExports(),
        kind="orders",
        path=path,
        merchant="default",
        rules=SignalRules(),
        now=datetime.now(UTC),
        parse_in_child=parse_in_child,
    )
    elapsed = time.perf_counter() - start
    assert report.rejected == 0, report.errors
    return elapsed


def time_sqlite_import(path: Path, db: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        ["sqlite3", str(db)], input=f".mode csv\n.import {path} orders_raw\n", text=True, check=True
    )
    return time.perf_counter() - start


def time_bulk_sync(customers: int, db: Path) -> tuple[int, float]:
    """Lines of a bulk-operation JSONL (customers, orders, line items) ingested from the fake shop."""
    from rapport.connectors.shopify.client import GraphQLClient, ShopifyEndpoint
    from rapport.connectors.shopify.fake_data import build_shop
    from rapport.connectors.shopify.fake_server import FakeShopify, FakeShopifyServer
    from rapport.connectors.shopify.sync import ShopifyBulkFeed
    from rapport.services.shopify_sync import sync_shop

    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    sessions = session_factory(engine)
    fake = FakeShopify(data=build_shop(customers=customers), polls_before_completion=0)
    with FakeShopifyServer(fake) as server:
        endpoint = ShopifyEndpoint("fake.myshopify.com", SecretStr("shpat_fake"), "2025-01", server.admin_url)
        with GraphQLClient(endpoint) as client:
            start = time.perf_counter()
            report = sync_shop(
                factory_for(sessions),
                ShopifyBulkFeed(client),
                merchant="bench",
                rules=SignalRules(),
                now=datetime.now(UTC),
                full=True,
            )
            elapsed = time.perf_counter() - start
    return report.lines, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="?", type=int, default=200_000, help="rows of the orders export")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-sync", action="store_true", help="skip the bulk JSONL sync")
    parser.add_argument("--in-process", action="store_true", help="parse in the importing process")
    parser.add_argument("--smoke", action="store_true", help="a tiny run (CI): 2,000 rows, one run")
    parser.add_argument("--json", action="store_true", help="one JSON line")
    args = parser.parse_args()
    if args.smoke:
        args.rows, args.repeat = 2_000, 1
    if not HEADER.exists() or shutil.which("sqlite3") is None:
        print(f"skipped: needs {HEADER} and the sqlite3 command")
        return
    figures: dict[str, Any] = {"benchmark": "shopify_import", "load_average_start": load_average()}
    figures["csv"] = measure_csv(args.rows, args.repeat, in_process=args.in_process, quiet=args.json)
    if not args.no_sync:
        with tempfile.TemporaryDirectory() as tmp:
            lines, seconds = time_bulk_sync(max(100, args.rows // 10), Path(tmp) / "sync.db")
        figures["sync"] = {
            "lines": lines,
            "seconds": round(seconds, 3),
            "lines_per_s": round(lines / seconds),
        }
    figures["load_average_end"] = load_average()
    if args.json:
        print(json.dumps(figures))
        return
    ratios = figures["csv"]["ratios"]
    if args.repeat > 1:
        print(f"ratio rapport/sqlite3: best {min(ratios):.2f}x, median {statistics.median(ratios):.2f}x")
    if "sync" in figures:
        sync, csv_rate = figures["sync"], figures["csv"]["rows_per_s"]
        print(
            f"bulk JSONL sync: {sync['lines']} lines in {sync['seconds']:.2f} s = {sync['lines_per_s']:,} "
            f"lines/s ({sync['lines_per_s'] / csv_rate:.2f}x the CSV import's {csv_rate:,} rows/s, same run)"
        )
    print(f"load average {figures['load_average_start']} -> {figures['load_average_end']}")


def measure_csv(rows: int, repeat: int, *, in_process: bool, quiet: bool) -> dict[str, Any]:
    """The CSV import of one export `repeat` times, each beside sqlite3's `.import` of the same file."""
    ratios: list[float] = []
    rates: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "orders_export.csv"
        written = write_export(export, rows)
        if not quiet:
            print(f"orders export rows: {written}")
        for run in range(repeat):
            ours = time_rapport(export, Path(tmp) / f"rapport{run}.db", in_process=in_process)
            theirs = time_sqlite_import(export, Path(tmp) / f"raw{run}.db")
            ratios.append(ours / theirs)
            rates.append(written / ours)
            if not quiet:
                print(
                    f"run {run + 1}: rapport {written / ours:,.0f} rows/s ({ours:.2f} s), "
                    f"sqlite3 .import {written / theirs:,.0f} rows/s ({theirs:.2f} s), "
                    f"ratio {ours / theirs:.2f}x; load {load_average()}"
                )
    return {
        "rows": written,
        "rows_per_s": round(statistics.median(rates)),
        "ratios": [round(r, 2) for r in ratios],  # times longer than sqlite3's .import
    }


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


if __name__ == "__main__":
    main()
