"""JSONL import into PostgreSQL with and without the planner statistics refreshed after bulk writes.

Run: .venv/bin/python benchmarks/bench_import_postgres.py [CUSTOMERS] (default 10000; needs the local
PostgreSQL at RAPPORT_BENCH_DATABASE_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test).
Each run uses a fresh schema `bench_import_pg`; "off" and "on" alternate so machine noise hits both.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

import rapport.store.statistics as statistics
from rapport.demo.showcase import DEMO_NOW
from rapport.demo.synthetic import StoreGenerator
from rapport.services.importing import import_jsonl
from rapport.store.database import make_engine, session_factory, upgrade
from rapport.store.unit_of_work import factory_for

BASE = os.environ.get("RAPPORT_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SCHEMA = "bench_import_pg"


def run(path: Path, records: int, *, refresh: bool) -> float:
    statistics.FIRST_ANALYZE_ROWS = 1_000 if refresh else 10**15
    admin = create_engine(BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    engine = make_engine(f"{BASE}?options=-csearch_path%3D{SCHEMA}")
    upgrade(engine)
    start = time.perf_counter()
    report = import_jsonl(factory_for(session_factory(engine)), path=path, merchant="default")
    took = time.perf_counter() - start
    assert not report.errors, report.errors[:3]
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f"DROP SCHEMA {SCHEMA} CASCADE"))
    print(
        f"statistics {'on ' if refresh else 'off'}: {records:,} records in {took:.1f}s "
        f"({records / took:,.0f}/s)"
    )
    return took


def main() -> None:
    customers = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store.jsonl"
        records = StoreGenerator(seed=7, now=DEMO_NOW).write(path, customers)
        times = [run(path, records, refresh=flag) for flag in (False, True, False, True)]
        print(f"speed-up with statistics: {min(times[0::2]) / min(times[1::2]):.2f}x (best of 2 runs each)")


if __name__ == "__main__":
    main()
