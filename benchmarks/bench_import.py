"""JSON Lines import (`rapport import store.jsonl`) into SQLite: records per second, fresh and again.

Writes a synthetic store (the demo's generator, seeded) to a temporary file, imports it into a new
SQLite database (every record inserted), then imports the same file again (every record updated: the
idempotent re-run). Prints records/s for both. Runs --repeat times on fresh databases and prints the
best and the median, with the load average, since the machine may be shared.

Run: .venv/bin/python benchmarks/bench_import.py [--customers 3000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from rapport.demo.showcase import DEMO_NOW
from rapport.demo.synthetic import StoreGenerator
from rapport.services.importing import ImportReport, import_jsonl
from rapport.store.database import make_engine, session_factory, upgrade
from rapport.store.unit_of_work import factory_for


def timed_import(data: Path, db: Path) -> tuple[float, float, ImportReport]:
    """Seconds of a first import and of a re-import of `data` into a new database at `db`."""
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    sessions = session_factory(engine)
    factory = factory_for(sessions)
    try:
        start = time.perf_counter()
        report = import_jsonl(factory, path=data, merchant="bench")
        first = time.perf_counter() - start
        start = time.perf_counter()
        again = import_jsonl(factory, path=data, merchant="bench")
        second = time.perf_counter() - start
    finally:
        engine.dispose()
    if report.errors or again.errors or again.updated != report.inserted:
        raise SystemExit(f"unexpected import result: {report.errors[:3]} {again.errors[:3]}")
    return first, second, report


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "store.jsonl"
        records = StoreGenerator(seed=7, now=DEMO_NOW).write(data, args.customers)
        firsts: list[float] = []
        agains: list[float] = []
        for run in range(args.repeat):
            first, again, _ = timed_import(data, Path(tmp) / f"run{run}.db")
            firsts.append(records / first)
            agains.append(records / again)
            print(
                f"run {run + 1}: import {records / first:,.0f} records/s ({first:.2f} s), "
                f"re-import {records / again:,.0f} records/s ({again:.2f} s); load {load_average()}"
            )
    print(f"records: {records}")
    print(f"import: best {max(firsts):,.0f} records/s, median {statistics.median(firsts):,.0f}")
    print(f"re-import: best {max(agains):,.0f} records/s, median {statistics.median(agains):,.0f}")


if __name__ == "__main__":
    main()
