"""Imports into PostgreSQL against `COPY` of the same file, in the same run and on the same server.

Measures, each in a fresh schema:
  - jsonl:      `rapport import` of a synthetic store (the demo's generator, seeded) into an empty store,
                records/s; then the same file again (every record an update), records/s;
  - csv:        a Shopify "Export orders" CSV (`import_shopify_csv`, the parser forked as by default),
                rows/s;
  - reference:  each file's raw lines `COPY`'d into a table of one text column, no index (the server's
                floor for that many bytes and rows), lines/s.
The ratio printed is the reference's rate over the import's: how many times slower than `COPY` it is.
`--smoke` (300 customers, 1,500 CSV rows) runs in CI so the script keeps working; `--json` prints one
JSON line.

Run: .venv/bin/python benchmarks/bench_import_postgres.py [--customers 20000] [--csv-rows 100000]
     [--database PG_URL] [--smoke] [--json]
(the server: --database, else RAPPORT_BENCH_DATABASE_URL, else the local test server)
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench_concurrency import postgres_schema
from bench_shopify_import import HEADER, write_export
from sqlalchemy import Engine, text

from rapport.connectors.shopify.csv_import import ShopifyCsvExports
from rapport.demo.showcase import DEMO_NOW
from rapport.demo.synthetic import StoreGenerator
from rapport.domain.signals import SignalRules
from rapport.services.importing import import_jsonl
from rapport.services.ingestion.csv_import import import_shopify_csv
from rapport.store.database import make_engine, session_factory, upgrade
from rapport.store.unit_of_work import factory_for

LOCAL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BLOCK = 1 << 20  # bytes per write to the COPY stream
# COPY's csv format with a delimiter and a quote that never occur in the files: each line is one
# value, loaded as it is (the text format would read the JSON's backslashes as escapes).
RAW_COPY = "COPY raw_lines (line) FROM STDIN WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02')"


def rate(count: int, seconds: float) -> dict[str, Any]:
    return {"seconds": round(seconds, 3), "per_s": round(count / seconds)}


def measure_jsonl(url: str, path: Path, records: int) -> dict[str, Any]:
    with postgres_schema(url) as in_schema:
        engine = make_engine(in_schema)
        upgrade(engine)
        units = factory_for(session_factory(engine))
        try:
            started = time.perf_counter()
            first = import_jsonl(units, path=path, merchant="bench")
            fresh = time.perf_counter() - started
            started = time.perf_counter()
            again = import_jsonl(units, path=path, merchant="bench")
            updated = time.perf_counter() - started
        finally:
            engine.dispose()
    if first.errors or again.errors or (first.inserted, again.updated) != (records, records):
        raise SystemExit(f"unexpected import result: {first.errors[:3]} {again.errors[:3]}")
    return {"fresh": rate(records, fresh), "again": rate(records, updated)}


def measure_csv(url: str, path: Path, rows: int) -> dict[str, Any]:
    with postgres_schema(url) as in_schema:
        engine = make_engine(in_schema)
        upgrade(engine)
        try:
            started = time.perf_counter()
            report = import_shopify_csv(
                factory_for(session_factory(engine)),
                ShopifyCsvExports(),
                kind="orders",
                path=path,
                merchant="bench",
                rules=SignalRules(),
                now=datetime.now(UTC),
            )
            seconds = time.perf_counter() - started
            orders = _count(engine, "orders")
        finally:
            engine.dispose()
    if report.rejected or report.rows != rows:
        raise SystemExit(f"unexpected CSV import result: {report.rows} rows, {report.errors[:3]}")
    return {"orders": orders, **rate(rows, seconds)}


def measure_copy(url: str, path: Path) -> dict[str, Any]:
    """The file's lines `COPY`'d as they are into a one-column table without any index."""
    with postgres_schema(url) as in_schema:
        engine = make_engine(in_schema)
        try:
            with engine.begin() as connection:
                connection.execute(text("CREATE TABLE raw_lines (line text)"))
            started = time.perf_counter()
            with engine.begin() as connection:
                raw = connection.connection.driver_connection
                assert raw is not None
                with raw.cursor() as cursor, cursor.copy(RAW_COPY) as copy, path.open("rb") as source:
                    while block := source.read(BLOCK):
                        copy.write(block)
            seconds = time.perf_counter() - started
            lines = _count(engine, "raw_lines")
        finally:
            engine.dispose()
    return {"lines": lines, **rate(lines, seconds)}


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def run(url: str, customers: int, csv_rows: int, directory: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {"customers": customers, "loadavg_before": os.getloadavg()}
    jsonl = directory / "store.jsonl"
    records = StoreGenerator(seed=7, now=DEMO_NOW).write(jsonl, customers)
    figures["jsonl"] = {"records": records, **measure_jsonl(url, jsonl, records)}
    figures["jsonl"]["copy"] = measure_copy(url, jsonl)
    export = directory / "orders_export.csv"
    rows = write_export(export, csv_rows)
    figures["csv"] = {"rows": rows, **measure_csv(url, export, rows)}
    figures["csv"]["copy"] = measure_copy(url, export)
    reference = figures["jsonl"]["copy"]["per_s"]
    figures["jsonl"]["ratio"] = round(reference / figures["jsonl"]["fresh"]["per_s"], 2)
    figures["jsonl"]["ratio_again"] = round(reference / figures["jsonl"]["again"]["per_s"], 2)
    figures["csv"]["ratio"] = round(figures["csv"]["copy"]["per_s"] / figures["csv"]["per_s"], 2)
    figures["loadavg_after"] = os.getloadavg()
    return figures


def show(figures: dict[str, Any]) -> None:
    jsonl, csv = figures["jsonl"], figures["csv"]
    before, after = ([round(x, 2) for x in figures[k]] for k in ("loadavg_before", "loadavg_after"))
    print(f"postgresql; load average {before} -> {after}")
    print(
        f"  jsonl  {figures['customers']:,} customers, {jsonl['records']:,} records:\n"
        f"    import    {jsonl['fresh']['seconds']:8.2f} s {jsonl['fresh']['per_s']:>9,} records/s "
        f"({jsonl['ratio']}x slower than COPY)\n"
        f"    re-import {jsonl['again']['seconds']:8.2f} s {jsonl['again']['per_s']:>9,} records/s "
        f"({jsonl['ratio_again']}x)\n"
        f"    COPY      {jsonl['copy']['seconds']:8.2f} s {jsonl['copy']['per_s']:>9,} lines/s"
    )
    print(
        f"  csv    {csv['rows']:,} order export rows, {csv['orders']:,} orders:\n"
        f"    import    {csv['seconds']:8.2f} s {csv['per_s']:>9,} rows/s "
        f"({csv['ratio']}x slower than COPY)\n"
        f"    COPY      {csv['copy']['seconds']:8.2f} s {csv['copy']['per_s']:>9,} lines/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--csv-rows", type=int, default=100_000)
    parser.add_argument("--database", help="a PostgreSQL server URL (fresh schemas, dropped after)")
    parser.add_argument("--smoke", action="store_true", help="300 customers, 1,500 CSV rows")
    parser.add_argument("--json", action="store_true", help="one JSON line")
    args = parser.parse_args()
    url = args.database or os.environ.get("RAPPORT_BENCH_DATABASE_URL") or LOCAL
    if not HEADER.exists():
        raise SystemExit(f"needs the Shopify export header at {HEADER}")
    customers, csv_rows = (300, 1_500) if args.smoke else (args.customers, args.csv_rows)
    with tempfile.TemporaryDirectory() as directory:
        figures = run(url, customers, csv_rows, Path(directory))
    if args.json:
        print(json.dumps(figures))
    else:
        show(figures)


if __name__ == "__main__":
    main()
