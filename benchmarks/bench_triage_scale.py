"""Triage latency against store size: `bench_triage.measure` on synthetic stores of 10k, 100k and 1M
customers (SQLite, and PostgreSQL with `--postgres URL`), with a chart for docs/benchmarks.md.

Each store is written once by `rapport synth --customers N --seed 14 --now NOW` into `--stores DIR`
(SQLite files `synth-N.db`) or into the PostgreSQL databases `rapport_synth_N` of the server at `--postgres`
(created when missing), and reused by later runs. For every store it prints bench_triage's figures (warm
and cold; the reference lookup in the same run) and one JSON line, then draws median and p99 of the
warm triage, with the lookup for reference, against the number of customers.

Run: .venv/bin/python benchmarks/bench_triage_scale.py [--sizes 10000,100000,1000000] [--samples 1000]
     [--stores /tmp/rapport-stores] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
     [--chart docs/images/triage_vs_store_size.png] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from bench_triage import measure, show
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

NOW = "2026-11-20T12:00:00+00:00"
RAPPORT = Path(sys.executable).with_name("rapport")


def sqlite_store(directory: Path, customers: int) -> str:
    path = directory / f"synth-{customers}.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        synth(url, customers)
    return url


def postgres_store(server: str, customers: int) -> str:
    name = f"rapport_synth_{customers}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if exists is None:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    if not exists:
        synth(url, customers)
    return url


def synth(url: str, customers: int) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")} | {
        "RAPPORT_DATABASE_URL": url
    }
    command = [str(RAPPORT), "synth", "--customers", str(customers), "--seed", "14", "--now", NOW]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)


def chart(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.2), dpi=110)
    for database, style in (("sqlite", "-"), ("postgresql", "--")):
        rows = sorted((r for r in results if r["database"] == database), key=lambda r: r["customers"])
        if not rows:
            continue
        sizes = [r["customers"] for r in rows]
        for figure, marker in (("median_ms", "o"), ("p99_ms", "^")):
            label = f"{database} triage {figure.removesuffix('_ms')}"
            ax.plot(sizes, [r["warm"]["triage"][figure] for r in rows], style, marker=marker, label=label)
        lookup = [r["warm"]["lookup"]["median_ms"] for r in rows]
        ax.plot(sizes, lookup, style, marker="x", color="grey", label=f"{database} indexed lookup median")
    ax.axhline(3, color="green", linewidth=0.8, label="target median 3 ms")
    ax.axhline(10, color="red", linewidth=0.8, label="target p99 10 ms")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("customers in the store")
    ax.set_ylabel("milliseconds per ticket (warm)")
    ax.set_title("Triage latency against store size (2 cores)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--stores", type=Path, default=Path("/tmp/rapport-stores"))
    parser.add_argument("--postgres", help="a PostgreSQL server URL (its `postgres` database, say)")
    parser.add_argument("--classifier", choices=("tfidf", "installed"), default="tfidf")
    parser.add_argument("--chart", type=Path, help="where to draw the chart (PNG)")
    parser.add_argument("--smoke", action="store_true", help="two tiny stores, few samples (CI)")
    parser.add_argument("--replot", type=Path, help="draw --chart from an earlier run's printed output")
    args = parser.parse_args()
    if args.replot:
        lines = args.replot.read_text().splitlines()
        chart([json.loads(line) for line in lines if line.startswith("{")], args.chart or Path("chart.png"))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.smoke:
        sizes, args.samples = [300, 1000], 40
        args.stores = Path(tempfile.mkdtemp(prefix="rapport-bench-"))
    args.stores.mkdir(parents=True, exist_ok=True)
    results = []
    for customers in sizes:
        urls = [sqlite_store(args.stores, customers)]
        if args.postgres:
            urls.append(postgres_store(args.postgres, customers))
        for url in urls:
            result = measure(
                url,
                merchant_slug="default",
                samples=args.samples,
                classifier_name=args.classifier,
                now=datetime.fromisoformat(NOW),
                drop_caches=False,
            )
            show(result)
            print(json.dumps(result))
            results.append(result)
    if args.chart:
        chart(results, args.chart)
        print(f"chart written to {args.chart}")


if __name__ == "__main__":
    main()
