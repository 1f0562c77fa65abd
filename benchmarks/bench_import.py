"""JSON Lines import (`rapport import store.jsonl`) into SQLite, against `sqlite3 .import` of the same file.

Writes a synthetic store (the demo's generator, seeded) to a temporary file, then, in the same run:
  - reference: the file's raw lines into a one-column table of a new database, the plainest load SQLite
    has: the `sqlite3` shell's `.import` when the shell is installed, else Python's sqlite3 module
    (`executemany` of the lines in one transaction); which one is printed;
  - import:    `import_jsonl` into a new database (every record inserted), records/s;
  - re-import: the same file again (every record updated: the idempotent re-run), records/s;
  - floor:     the rows those records become, converted beforehand (not timed), inserted with one
    executemany per table into the store's own tables (their indexes, unique keys and foreign keys;
    customers and orders found by subqueries): what SQLite itself costs for this schema;
  - loader:    the rows the import wrote, dumped beforehand (not timed) to one CSV file per table with
    their ids, loaded by the `sqlite3` shell's `.import --csv` into a new store's tables (indexes, keys,
    foreign keys on), one transaction; the row counts checked equal: SQLite's own loader on the same
    data, the reference of issue 14 ("loader" ratios; the raw-lines ratios are kept beside them).
Each line is one record, so records/s and lines/s compare directly; the ratio is how many times longer
the import takes than the reference. CPU seconds of this process and of the forked parser are printed
too: on a shared machine the wall clock waits for cores other work holds (the load average is printed
before and after). Runs --repeat times on fresh databases; best and median.
`--smoke` (300 customers, one run) runs in CI so the script keeps working; `--json` prints one JSON line.

Measured 2026-12-04 on this 2-core machine, shared (load average 4.5-9.7 during the runs),
`--customers 20000 --repeat 2` (117,780 records, 41.7 MB): reference `sqlite3 .import` 0.22-0.24 s
(CPU 0.19-0.20 s); floor 1.15-1.21 s (CPU ~1.1 s, 5.7x the reference's); import 4.86-5.11 s
(23-24k records/s, 21x the reference, 4.2x the floor), CPU 3.24-3.31 s here + 2.08-2.15 s in the
forked parser (17x the reference's CPU); re-import 4.26-5.59 s, CPU 3.8-3.85 s + 2.0-2.2 s (20x).
Right after, the importer as it was before the forked parser (94ac353, one process): import 4.99 s,
CPU 4.89 s (26-27x the reference's); re-import 5.5-6.1 s, CPU 5.4-6.0 s (30-32x). With the second core
taken by other work the wall clock did not move; the longest process's CPU time, what two idle cores
would show, went down by a third. SQLite alone (the floor) is ~6x `.import` for this schema.

Run: .venv/bin/python benchmarks/bench_import.py [--customers 3000] [--repeat 3] [--smoke] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData

from rapport.demo.showcase import DEMO_NOW
from rapport.demo.synthetic import StoreGenerator
from rapport.services.importing import ImportReport, import_jsonl
from rapport.store.database import make_engine, session_factory, upgrade
from rapport.store.unit_of_work import factory_for


def reference_import(data: Path, db: Path) -> tuple[float, float, int, str]:
    """Wall and CPU seconds to load the raw lines of `data` into a one-column table; the lines; the tool."""
    shell = shutil.which("sqlite3")
    before = os.times()
    if shell:
        # ASCII mode with a unit separator no JSON text holds: each line is one value, unquoted.
        commands = ["CREATE TABLE raw (line TEXT);", ".mode ascii", '.separator "\x1f" "\\n"']
        started = time.perf_counter()
        subprocess.run([shell, str(db), *commands, f".import {data} raw"], check=True)
        seconds = time.perf_counter() - started
        tool = "sqlite3 .import"
    else:
        started = time.perf_counter()
        connection = sqlite3.connect(db)
        with connection, data.open("rb") as lines:
            connection.execute("CREATE TABLE raw (line TEXT)")
            connection.executemany(
                "INSERT INTO raw VALUES (?)", ((line.rstrip(b"\n").decode(),) for line in lines)
            )
        connection.close()
        seconds = time.perf_counter() - started
        tool = "python sqlite3 executemany (no sqlite3 shell installed)"
    cpu = _cpu(before, os.times(), children=bool(shell))
    with sqlite3.connect(db) as connection:
        lines_loaded = connection.execute("SELECT count(*) FROM raw").fetchone()[0]
    return seconds, cpu, lines_loaded, tool


def _cpu(before: Any, after: Any, *, children: bool = False) -> float:
    if children:
        return float(
            after.children_user - before.children_user + after.children_system - before.children_system
        )
    return float(after.user - before.user + after.system - before.system)


CUSTOMER = "(SELECT id FROM customers WHERE merchant_id = ?1 AND external_id = ?)"
ORDER = "(SELECT id FROM orders WHERE merchant_id = ?1 AND external_id = ?)"
FLOOR_SQL = {
    "customers": "INSERT INTO customers (merchant_id, external_id, email, first_name, last_name, locale, "
    "created_at, loyalty_tier, loyalty_points, accepts_marketing) VALUES (?1, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
    "customer_tags": f"INSERT INTO customer_tags (merchant_id, customer_id, tag) VALUES (?1, {CUSTOMER}, ?)",
    "orders": "INSERT INTO orders (merchant_id, external_id, customer_id, name, created_at, total, currency, "
    f"financial_status, fulfillment_status, cancelled_at) VALUES (?1, ?, {CUSTOMER}, ?, ?, ?, ?, ?, ?, ?)",
    "order_line_items": "INSERT INTO order_line_items (merchant_id, order_id, position, title, quantity, "
    f"price, sku) VALUES (?1, {ORDER}, ?, ?, ?, ?, ?)",
    "subscriptions": "INSERT INTO subscriptions (merchant_id, external_id, customer_id, status, product, "
    f"price, currency, next_billing_at) VALUES (?1, ?, {CUSTOMER}, ?, ?, ?, ?, ?)",
    "support_contacts": "INSERT INTO support_contacts (merchant_id, external_id, customer_id, created_at, "
    f"intent, outcome) VALUES (?1, ?, {CUSTOMER}, ?, ?, ?)",
}


def floor_rows(data: Path, merchant_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of the file's records, roughly as the store keeps them (times and amounts as text)."""
    rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in FLOOR_SQL}
    with data.open("rb") as lines:
        for raw in lines:
            r = json.loads(raw)
            for table, row in _rows_of(r, merchant_id):
                rows[table].append(row)
    return rows


def _rows_of(r: dict[str, Any], m: int) -> list[tuple[str, tuple[Any, ...]]]:
    kind, ext, get = r["kind"], str(r["id"]), r.get
    if kind == "customer":
        person = (get("first_name"), get("last_name"), get("locale"), get("created_at"))
        tags = [("customer_tags", (m, ext, tag)) for tag in dict.fromkeys(get("tags", []))]
        row = (m, ext, r["email"].lower(), *person, get("loyalty_tier"), get("loyalty_points", 0))
        return [("customers", row), *tags]
    if kind == "order":
        status = (
            get("financial_status", "paid"),
            get("fulfillment_status", "unfulfilled"),
            get("cancelled_at"),
        )
        row = (
            m,
            ext,
            r["customer_id"],
            get("name") or f"#{ext}",
            r["created_at"],
            r["total"],
            get("currency", "USD"),
        )
        items = [
            (
                "order_line_items",
                (m, ext, i, li["title"], li.get("quantity", 1), li.get("price", "0"), li.get("sku")),
            )
            for i, li in enumerate(get("line_items", []))
        ]
        return [("orders", (*row, *status)), *items]
    if kind == "subscription":
        billing = (get("price"), get("currency", "USD"), get("next_billing_at"))
        return [("subscriptions", (m, ext, r["customer_id"], r["status"], get("product"), *billing))]
    return [("support_contacts", (m, ext, r["customer_id"], r["created_at"], r["intent"], get("outcome")))]


def floor_import(data: Path, db: Path) -> tuple[float, float]:
    """Wall and CPU seconds to insert the file's rows into a new store's tables (the module's docstring)."""
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    raw = engine.raw_connection()  # with the store's own PRAGMAs (foreign keys on, WAL)
    try:
        cursor = raw.cursor()
        cursor.execute("INSERT INTO merchants (slug, name, currency) VALUES ('floor', 'floor', 'USD')")
        raw.commit()
        rows = floor_rows(data, int(cursor.lastrowid or 0))
        started, before = time.perf_counter(), os.times()
        cursor.execute("BEGIN")  # one transaction (the store's connections leave BEGIN to their caller)
        for table, sql in FLOOR_SQL.items():
            cursor.executemany(sql, rows[table])
        raw.commit()
        return time.perf_counter() - started, _cpu(before, os.times())
    finally:
        raw.close()
        engine.dispose()


# The database's own loader: the rows the import wrote, dumped beforehand (not timed) to one CSV file
# per table with their ids, loaded by the `sqlite3` shell's `.import --csv` into a new store's real
# tables (indexes, unique keys, foreign keys on), one transaction: the same data, SQLite's own loader.
NOT_DATA = {"alembic_version"}


def dump_tables(db: Path, directory: Path) -> list[tuple[str, Path, int]]:
    """Each table the import filled, parents first: its name, its CSV file (no header), its rows.

    The values as stored (sqlite3's own types). A NULL becomes an empty field, which `.import` loads as
    an empty text: the shell has no NULL in CSV; the count check below fails should a foreign key need one.
    """
    engine = make_engine(f"sqlite:///{db}")
    metadata = MetaData()
    metadata.reflect(engine)  # for the tables' order only: parents before children
    engine.dispose()
    dumped = []
    with contextlib.closing(sqlite3.connect(db)) as connection:
        for table in (t.name for t in metadata.sorted_tables if t.name not in NOT_DATA):
            rows = connection.execute(f'SELECT * FROM "{table}" ORDER BY rowid').fetchall()
            if rows:
                path = directory / f"{table}.csv"
                with path.open("w", encoding="utf-8", newline="") as handle:
                    csv.writer(handle).writerows(rows)
                dumped.append((table, path, len(rows)))
    return dumped


def loader_reference(imported: Path, db: Path) -> tuple[float, float]:
    """Wall and CPU seconds of `.import --csv` of the imported rows into a new store (see above)."""
    shell = shutil.which("sqlite3")
    if not shell:
        raise SystemExit("the loader reference needs the sqlite3 shell")
    dumped = dump_tables(imported, db.parent)
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)  # the store's schema, in WAL mode as the store keeps it
    engine.dispose()
    commands = ["PRAGMA foreign_keys = ON;", "PRAGMA synchronous = NORMAL;", "BEGIN;"]
    commands += [f".import --csv {path} {table}" for table, path, _ in dumped] + ["COMMIT;"]
    before, started = os.times(), time.perf_counter()
    subprocess.run([shell, "-bail", str(db)], input="\n".join(commands), text=True, check=True)
    seconds, cpu = time.perf_counter() - started, _cpu(before, os.times(), children=True)
    with contextlib.closing(sqlite3.connect(db)) as connection:
        for table, _, rows in dumped:
            loaded = connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            if loaded != rows:
                raise SystemExit(f"the loader put {loaded} rows into {table}, the import {rows}")
    return seconds, cpu


def timed(factory: Any, data: Path) -> tuple[float, float, float, ImportReport]:
    """Wall seconds, CPU seconds of this process and of its children, and the report, of one import."""
    before, started = os.times(), time.perf_counter()
    report = import_jsonl(factory, path=data, merchant="bench")
    seconds, after = time.perf_counter() - started, os.times()
    return seconds, _cpu(before, after), _cpu(before, after, children=True), report


def one_run(data: Path, directory: Path, records: int) -> dict[str, Any]:
    ref_seconds, ref_cpu, ref_lines, tool = reference_import(data, directory / "reference.db")
    if ref_lines != records:
        raise SystemExit(f"the reference loaded {ref_lines} lines, the file has {records}")
    floor_seconds, floor_cpu = floor_import(data, directory / "floor.db")
    engine = make_engine(f"sqlite:///{directory / 'import.db'}")
    upgrade(engine)
    factory = factory_for(session_factory(engine))
    try:
        first, first_cpu, first_child, report = timed(factory, data)
        again, again_cpu, again_child, second = timed(factory, data)
    finally:
        engine.dispose()
    if report.errors or second.errors or second.updated != report.inserted or report.inserted != records:
        raise SystemExit(f"unexpected import result: {report.errors[:3]} {second.errors[:3]}")
    loader_seconds, loader_cpu = loader_reference(directory / "import.db", directory / "loader.db")
    loader = (loader_seconds, loader_cpu)
    return {
        "reference_tool": tool,
        "reference": {
            "seconds": round(ref_seconds, 3),
            "cpu_s": round(ref_cpu, 2),
            "lines_per_s": round(records / ref_seconds),
        },
        "floor": {
            "seconds": round(floor_seconds, 3),
            "cpu_s": round(floor_cpu, 2),
            "records_per_s": round(records / floor_seconds),
            "ratio": round(floor_seconds / ref_seconds, 2),
            "cpu_ratio": _times(floor_cpu, ref_cpu),
        },
        "loader": {
            "seconds": round(loader_seconds, 3),
            "cpu_s": round(loader_cpu, 2),
            "records_per_s": round(records / loader_seconds),
            "ratio": round(loader_seconds / ref_seconds, 2),
        },
        "import": _figures(
            records, (first, first_cpu, first_child), (ref_seconds, ref_cpu), floor_seconds, loader
        ),
        "reimport": _figures(
            records, (again, again_cpu, again_child), (ref_seconds, ref_cpu), floor_seconds, loader
        ),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def _figures(
    records: int,
    measured: tuple[float, float, float],
    reference: tuple[float, float],
    floor: float,
    loader: tuple[float, float],
) -> dict[str, Any]:
    seconds, cpu, child = measured
    return {
        "seconds": round(seconds, 3),
        "records_per_s": round(records / seconds),
        "cpu_s": round(cpu, 2),
        "parser_cpu_s": round(child, 2),
        "ratio": round(seconds / reference[0], 2),  # times longer than the reference
        "floor_ratio": round(seconds / floor, 2),  # times longer than the floor
        "loader_ratio": round(seconds / loader[0], 2),  # times longer than `.import --csv` of the rows
        "loader_cpu_ratio": _times(max(cpu, child), loader[1]),
        # The longer of the two processes' CPU time against the reference's: what the wall clock would
        # show on two idle cores, less the waits (shared machines are rarely idle).
        "cpu_ratio": _times(max(cpu, child), reference[1]),
    }


def _times(cpu: float, reference: float) -> float:
    """How many times `reference` `cpu` is; CPU times come in clock ticks (10 ms), hence the minimum."""
    return round(cpu / max(reference, 0.01), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="300 customers, one run")
    parser.add_argument("--json", action="store_true", help="one JSON line")
    args = parser.parse_args()
    customers, repeat = (300, 1) if args.smoke else (args.customers, args.repeat)
    figures: dict[str, Any] = {
        "customers": customers,
        "loadavg_before": [round(x, 2) for x in os.getloadavg()],
    }
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "store.jsonl"
        records = StoreGenerator(seed=7, now=DEMO_NOW).write(data, customers)
        figures["records"], figures["bytes"] = records, data.stat().st_size
        runs = []
        for run in range(repeat):
            directory = Path(tmp) / f"run{run}"
            directory.mkdir()
            runs.append(one_run(data, directory, records))
            if not args.json:
                _print_run(run + 1, runs[-1])
    figures["runs"] = runs
    for kind in ("import", "reimport"):
        ratios = [r[kind]["ratio"] for r in runs]
        loader_ratios = [r[kind]["loader_ratio"] for r in runs]
        rates = [r[kind]["records_per_s"] for r in runs]
        figures[kind] = {
            "median_cpu_ratio": round(statistics.median(r[kind]["cpu_ratio"] for r in runs), 2),
            "best_ratio": min(ratios),
            "median_ratio": round(statistics.median(ratios), 2),
            "best_loader_ratio": min(loader_ratios),
            "median_loader_ratio": round(statistics.median(loader_ratios), 2),
            "median_loader_cpu_ratio": round(statistics.median(r[kind]["loader_cpu_ratio"] for r in runs), 2),
            "best_records_per_s": max(rates),
            "median_records_per_s": round(statistics.median(rates)),
        }
    figures["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        print(json.dumps(figures))
        return
    load = f"{figures['loadavg_before']} -> {figures['loadavg_after']}"
    print(
        f"{records:,} records ({figures['bytes'] / 1e6:.1f} MB, {customers:,} customers); load average {load}"
    )
    floors = [r["floor"]["ratio"] for r in runs]
    tool = runs[0]["reference_tool"]
    print(f"reference: {tool}; the floor takes {round(statistics.median(floors), 2)}x its time (median)")
    for kind, label in (("import", "import"), ("reimport", "re-import")):
        f = figures[kind]
        best = f"best {f['best_records_per_s']:,} records/s ({f['best_ratio']}x the reference's time)"
        floor = round(statistics.median(r[kind]["floor_ratio"] for r in runs), 2)
        median = f"median {f['median_records_per_s']:,} ({f['median_ratio']}x; {floor}x the floor)"
        print(f"{label}: {best}, {median}; CPU {f['median_cpu_ratio']}x the reference's (median)")
        loaders = f"best {f['best_loader_ratio']}x, median {f['median_loader_ratio']}x"
        cpu = f"CPU {f['median_loader_cpu_ratio']}x its CPU (median)"
        print(f"  against the loader (.import --csv of the same rows into the real tables): {loaders}; {cpu}")


def _print_run(number: int, run: dict[str, Any]) -> None:
    ref = run["reference"]
    load, floor = run["loadavg"], run["floor"]
    print(
        f"run {number}: reference {ref['lines_per_s']:,} lines/s ({ref['seconds']:.2f} s, CPU "
        f"{ref['cpu_s']:.2f} s); load {load}"
    )
    rate = (
        f"{floor['records_per_s']:>9,} records/s ({floor['seconds']:.2f} s, {floor['ratio']}x the reference"
    )
    cpu = f"CPU {floor['cpu_s']:.2f} s, {floor['cpu_ratio']}x the reference's"
    print(f"  floor     {rate}; {cpu}: SQLite's own cost of this schema)")
    loader = run["loader"]
    rate = f"{loader['records_per_s']:>9,} records/s ({loader['seconds']:.2f} s"
    rate += f", {loader['ratio']}x the reference"
    print(f"  loader    {rate}; CPU {loader['cpu_s']:.2f} s: .import --csv of the import's rows)")
    for kind, label in (("import", "import"), ("reimport", "re-import")):
        f = run[kind]
        cpu = f"CPU {f['cpu_s']:.2f} s + {f['parser_cpu_s']:.2f} s parser, {f['cpu_ratio']}x the reference's"
        rate = f"{f['records_per_s']:>9,} records/s ({f['seconds']:.2f} s, {f['ratio']}x the reference"
        loader = f"{f['loader_ratio']}x the loader (CPU {f['loader_cpu_ratio']}x)"
        print(f"  {label:9} {rate}, {f['floor_ratio']}x the floor, {loader}; {cpu})")


if __name__ == "__main__":
    main()
