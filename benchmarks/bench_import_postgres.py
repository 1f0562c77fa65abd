"""Imports into PostgreSQL against `COPY` of the same file, in the same run and on the same server.

Measures, each in a fresh schema:
  - jsonl:      `rapport import` of a synthetic store (the demo's generator, seeded) into an empty store,
                records/s; then the same file again (every record an update), records/s;
  - csv:        a Shopify "Export orders" CSV (`import_shopify_csv`, the parser forked as by default),
                rows/s;
  - reference:  each file's raw lines `COPY`'d into a table of one text column, no index (the server's
                floor for that many bytes and rows), lines/s;
  - loader:     the rows each import wrote, dumped beforehand (not timed) to CSV with their ids, then
                `COPY ... FROM STDIN (FORMAT csv)` per table in one transaction into a fresh store's
                real tables (indexes, unique keys, foreign keys): the same data by PostgreSQL's own
                loader, the reference of issue 14. Row counts are checked equal to the import's.
The ratios printed are the import's time over each reference's: how many times longer it takes.
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
from sqlalchemy import Engine, MetaData, text

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


def measure_jsonl(url: str, path: Path, records: int) -> tuple[dict[str, Any], Dumped]:
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
            dumped = dump_tables(engine, path.parent, "jsonl")
        finally:
            engine.dispose()
    if first.errors or again.errors or (first.inserted, again.updated) != (records, records):
        raise SystemExit(f"unexpected import result: {first.errors[:3]} {again.errors[:3]}")
    return {"fresh": rate(records, fresh), "again": rate(records, updated)}, dumped


def measure_csv(url: str, path: Path, rows: int) -> tuple[dict[str, Any], Dumped]:
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
            dumped = dump_tables(engine, path.parent, "csv")
        finally:
            engine.dispose()
    if report.rejected or report.rows != rows:
        raise SystemExit(f"unexpected CSV import result: {report.rows} rows, {report.errors[:3]}")
    return {"orders": orders, **rate(rows, seconds)}, dumped


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
        return int(connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one())


# The database's own loader: the rows an import wrote, dumped beforehand (not timed) by `COPY ... TO
# STDOUT (FORMAT csv)` to one file per table with their ids, then `COPY ... FROM STDIN (FORMAT csv)`
# per table, parents first, in one transaction into a new store's real tables (indexes, unique keys,
# foreign keys in place); the row counts checked equal. The same data, PostgreSQL's own loader.
NOT_DATA = {"alembic_version"}
Dumped = list[tuple[str, Path, int]]


def dump_tables(engine: Engine, directory: Path, prefix: str) -> Dumped:
    """Each table the import filled, parents first: its name, its CSV file, its rows."""
    metadata = MetaData()
    metadata.reflect(engine)
    dumped = []
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        for table in (t.name for t in metadata.sorted_tables if t.name not in NOT_DATA):
            path = directory / f"{prefix}_{table}.csv"
            with raw.cursor() as cursor, path.open("wb") as out:
                with cursor.copy(f'COPY "{table}" TO STDOUT (FORMAT csv)') as copy:
                    for block in copy:
                        out.write(block)
            rows = _count(engine, table)
            if rows:
                dumped.append((table, path, rows))
    return dumped


def measure_loader(url: str, dumped: Dumped) -> dict[str, Any]:
    """Seconds to `COPY` the dumped rows into a new store, one transaction (see above)."""
    with postgres_schema(url) as in_schema:
        engine = make_engine(in_schema)
        upgrade(engine)
        try:
            started, before = time.perf_counter(), os.times()
            with engine.begin() as connection:
                raw = connection.connection.driver_connection
                assert raw is not None
                for table, path, _ in dumped:
                    with raw.cursor() as cursor, path.open("rb") as source:
                        with cursor.copy(f'COPY "{table}" FROM STDIN (FORMAT csv)') as copy:
                            while block := source.read(BLOCK):
                                copy.write(block)
            seconds, after = time.perf_counter() - started, os.times()
            for table, _, rows in dumped:
                if (loaded := _count(engine, table)) != rows:
                    raise SystemExit(f"the loader put {loaded} rows into {table}, the import {rows}")
        finally:
            engine.dispose()
    rows = sum(rows for _, _, rows in dumped)
    cpu = after.user - before.user + after.system - before.system  # this process's; the server's not
    return {"tables": len(dumped), "rows": rows, **rate(rows, seconds), "cpu_s": round(cpu, 2)}


def run(url: str, customers: int, csv_rows: int, directory: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {"customers": customers, "loadavg_before": os.getloadavg()}
    jsonl = directory / "store.jsonl"
    records = StoreGenerator(seed=7, now=DEMO_NOW).write(jsonl, customers)
    imported, dumped = measure_jsonl(url, jsonl, records)
    figures["jsonl"] = {"records": records, **imported}
    figures["jsonl"]["copy"] = measure_copy(url, jsonl)
    figures["jsonl"]["loader"] = measure_loader(url, dumped)
    export = directory / "orders_export.csv"
    rows = write_export(export, csv_rows)
    imported, dumped = measure_csv(url, export, rows)
    figures["csv"] = {"rows": rows, **imported}
    figures["csv"]["copy"] = measure_copy(url, export)
    figures["csv"]["loader"] = measure_loader(url, dumped)
    jsonl, csv = figures["jsonl"], figures["csv"]
    for reference, suffix in (("copy", ""), ("loader", "_loader")):
        jsonl["ratio" + suffix] = _times(jsonl["fresh"]["seconds"], jsonl[reference]["seconds"])
        jsonl["ratio_again" + suffix] = _times(jsonl["again"]["seconds"], jsonl[reference]["seconds"])
        csv["ratio" + suffix] = _times(csv["seconds"], csv[reference]["seconds"])
    figures["loadavg_after"] = os.getloadavg()
    return figures


def _times(seconds: float, reference: float) -> float:
    """How many times `reference` `seconds` is (seconds are rounded to the ms, hence the minimum)."""
    return round(seconds / max(reference, 0.001), 2)


def show(figures: dict[str, Any]) -> None:
    jsonl, csv = figures["jsonl"], figures["csv"]
    before, after = ([round(x, 2) for x in figures[k]] for k in ("loadavg_before", "loadavg_after"))
    print(f"postgresql; load average {before} -> {after}")
    print(f"  jsonl  {figures['customers']:,} customers, {jsonl['records']:,} records:")
    for label, key, suffix in (("import", "fresh", ""), ("re-import", "again", "_again")):
        print(
            f"    {label:9} {jsonl[key]['seconds']:8.2f} s {jsonl[key]['per_s']:>9,} records/s "
            f"({jsonl['ratio' + suffix]}x COPY's time, {jsonl['ratio' + suffix + '_loader']}x the loader's)"
        )
    _show_references(jsonl)
    print(f"  csv    {csv['rows']:,} order export rows, {csv['orders']:,} orders:")
    print(
        f"    import    {csv['seconds']:8.2f} s {csv['per_s']:>9,} rows/s "
        f"({csv['ratio']}x COPY's time, {csv['ratio_loader']}x the loader's)"
    )
    _show_references(csv)


def _show_references(figures: dict[str, Any]) -> None:
    copy, loader = figures["copy"], figures["loader"]
    print(f"    COPY      {copy['seconds']:8.2f} s {copy['per_s']:>9,} lines/s (the file's raw lines)")
    print(
        f"    loader    {loader['seconds']:8.2f} s {loader['per_s']:>9,} rows/s (COPY of the import's "
        f"{loader['rows']:,} rows into {loader['tables']} real tables)"
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
