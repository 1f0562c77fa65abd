"""CSV import of a Shopify orders export into SQLite, against sqlite3's own `.import` of the same file.

Prints rows/s for Rapport and the time ratio Rapport / sqlite3 (.import only loads raw text columns:
it is the floor, not a like-for-like competitor). Usage: python benchmarks/bench_shopify_import.py [ROWS]
"""

from __future__ import annotations

import csv
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rapport.config import Settings
from rapport.connectors.shopify.csv_import import import_shopify_csv
from rapport.store.database import make_engine, session_factory, upgrade
from rapport.store.unit_of_work import UnitOfWork

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
                            "Total": "59.70",
                            "Created at": "2026-10-01 10:00:00 -0400",
                            "Id": str(5_000_000 + number),
                        }
                    )
                out.writerow(row.values())
                written += 1
    return written


def time_rapport(path: Path, db: Path) -> float:
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    sessions = session_factory(engine)
    start = time.perf_counter()
    report = import_shopify_csv("orders", path, Settings(), uow_factory=lambda: UnitOfWork(sessions))
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
    from datetime import UTC, datetime

    from rapport.connectors.shopify.client import GraphQLClient, ShopifyEndpoint
    from rapport.connectors.shopify.fake_data import build_shop
    from rapport.connectors.shopify.fake_server import FakeShopify, FakeShopifyServer
    from rapport.connectors.shopify.sync import sync_shop

    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    sessions = session_factory(engine)
    fake = FakeShopify(data=build_shop(customers=customers), polls_before_completion=0)
    with FakeShopifyServer(fake) as server:
        endpoint = ShopifyEndpoint("fake.myshopify.com", "shpat_fake", "2025-01", server.admin_url)
        with GraphQLClient(endpoint) as client:
            start = time.perf_counter()
            report = sync_shop(
                client, lambda: UnitOfWork(sessions), merchant="bench", now=datetime.now(UTC), full=True
            )
            elapsed = time.perf_counter() - start
    return report.lines, elapsed


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    if not HEADER.exists() or shutil.which("sqlite3") is None:
        print(f"skipped: needs {HEADER} and the sqlite3 command")
        return
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "orders_export.csv"
        written = write_export(export, rows)
        ours = time_rapport(export, Path(tmp) / "rapport.db")
        theirs = time_sqlite_import(export, Path(tmp) / "raw.db")
    print(f"orders export rows: {written}")
    print(f"rapport import: {ours:.2f} s = {written / ours:,.0f} rows/s")
    print(f"sqlite3 .import: {theirs:.2f} s = {written / theirs:,.0f} rows/s")
    print(f"ratio rapport/sqlite3: {ours / theirs:.1f}x")
    with tempfile.TemporaryDirectory() as tmp:
        lines, seconds = time_bulk_sync(max(100, rows // 10), Path(tmp) / "sync.db")
    print(f"bulk JSONL sync: {lines} lines in {seconds:.2f} s = {lines / seconds:,.0f} lines/s")


if __name__ == "__main__":
    main()
