"""JSON Lines import (`rapport import store.jsonl`) into SQLite, against `sqlite3 .import` of the same file.

Writes a synthetic store (the demo's generator, seeded) to a temporary file, then, in the same run:
  - reference: the file's raw lines into a one-column table of a new database, the plainest load SQLite
    has: the `sqlite3` shell's `.import` when the shell is installed, else Python's sqlite3 module
    (`executemany` of the lines in one transaction); which one is printed;
  - import:    `import_jsonl` into a new database (every record inserted), records/s;
  - re-import: the same file again (every record updated: the idempotent re-run), records/s.
Each line is one record, so records/s and lines/s compare directly; the ratio is how many times longer
the import takes than the reference. CPU seconds of this process and of the forked parser are printed
too: on a shared machine the wall clock waits for cores other work holds (the load average is printed
before and after). Runs --repeat times on fresh databases; best and median.
`--smoke` (300 customers, one run) runs in CI so the script keeps working; `--json` prints one JSON line.

Run: .venv/bin/python benchmarks/bench_import.py [--customers 3000] [--repeat 3] [--smoke] [--json]
"""

from __future__ import annotations

import argparse
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

from rapport.demo.showcase import DEMO_NOW
from rapport.demo.synthetic import StoreGenerator
from rapport.services.importing import ImportReport, import_jsonl
from rapport.store.database import make_engine, session_factory, upgrade
from rapport.store.unit_of_work import factory_for


def reference_import(data: Path, db: Path) -> tuple[float, int, str]:
    """Seconds to load the raw lines of `data` into a one-column table; the lines; the tool used."""
    shell = shutil.which("sqlite3")
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
    with sqlite3.connect(db) as connection:
        lines_loaded = connection.execute("SELECT count(*) FROM raw").fetchone()[0]
    return seconds, lines_loaded, tool


def timed(factory: Any, data: Path) -> tuple[float, float, float, ImportReport]:
    """Wall seconds, CPU seconds of this process and of its children, and the report, of one import."""
    before, started = os.times(), time.perf_counter()
    report = import_jsonl(factory, path=data, merchant="bench")
    seconds, after = time.perf_counter() - started, os.times()
    cpu = after.user - before.user + after.system - before.system
    child = after.children_user - before.children_user + after.children_system - before.children_system
    return seconds, cpu, child, report


def one_run(data: Path, directory: Path, records: int) -> dict[str, Any]:
    ref_seconds, ref_lines, tool = reference_import(data, directory / "reference.db")
    if ref_lines != records:
        raise SystemExit(f"the reference loaded {ref_lines} lines, the file has {records}")
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
    return {
        "reference_tool": tool,
        "reference": {"seconds": round(ref_seconds, 3), "lines_per_s": round(records / ref_seconds)},
        "import": _figures(records, first, first_cpu, first_child, ref_seconds),
        "reimport": _figures(records, again, again_cpu, again_child, ref_seconds),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def _figures(records: int, seconds: float, cpu: float, child: float, reference: float) -> dict[str, Any]:
    return {
        "seconds": round(seconds, 3),
        "records_per_s": round(records / seconds),
        "cpu_s": round(cpu, 2),
        "parser_cpu_s": round(child, 2),
        "ratio": round(seconds / reference, 2),  # times longer than the reference
    }


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
        rates = [r[kind]["records_per_s"] for r in runs]
        figures[kind] = {
            "best_ratio": min(ratios),
            "median_ratio": statistics.median(ratios),
            "best_records_per_s": max(rates),
            "median_records_per_s": statistics.median(rates),
        }
    figures["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        print(json.dumps(figures))
        return
    load = f"{figures['loadavg_before']} -> {figures['loadavg_after']}"
    print(
        f"{records:,} records ({figures['bytes'] / 1e6:.1f} MB, {customers:,} customers); load average {load}"
    )
    print(f"reference: {runs[0]['reference_tool']}")
    for kind, label in (("import", "import"), ("reimport", "re-import")):
        f = figures[kind]
        best = f"best {f['best_records_per_s']:,} records/s ({f['best_ratio']}x the reference's time)"
        print(f"{label}: {best}, median {f['median_records_per_s']:,} ({f['median_ratio']}x)")


def _print_run(number: int, run: dict[str, Any]) -> None:
    ref = run["reference"]
    load = run["loadavg"]
    print(f"run {number}: reference {ref['lines_per_s']:,} lines/s ({ref['seconds']:.2f} s); load {load}")
    for kind, label in (("import", "import"), ("reimport", "re-import")):
        f = run[kind]
        cpu = f"CPU {f['cpu_s']:.2f} s here + {f['parser_cpu_s']:.2f} s parser"
        rate = f"{f['records_per_s']:>9,} records/s ({f['seconds']:.2f} s, {f['ratio']}x the reference"
        print(f"  {label:9} {rate}; {cpu})")


if __name__ == "__main__":
    main()
