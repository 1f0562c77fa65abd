"""How fast Rapport knows a customer and decides: profile, engine, whole triage, on any store size.

The store is the demo store (3,000 synthetic customers, seeded) built in a temporary SQLite file — or in
PostgreSQL when RAPPORT_BENCH_DATABASE_URL is set — or, with `--database URL`, an existing store such as
one `rapport synth --customers 1000000` wrote (its merchant `--merchant`, default `default`). Over
`--samples` customers drawn at random (seeded), it times, in this order:
  - lookup:  one indexed SELECT of the customer's row id by e-mail, through the driver — the reference,
             the least any triage must do;
  - profile: ProfileRepository.get_profile (two statements);
  - decide:  engine.decide (pure: CEL rules, limits, explanation);
  - triage:  the whole service as `rapport triage` and `POST /v1/tickets/triage` run it by default
             (profile + reading the message + decide; a preview, nothing written);
  - commit:  a bare one-row INSERT and COMMIT through the driver — the reference for recording: on
             PostgreSQL with its default synchronous_commit, the WAL flush to disk;
  - recorded: the triage recorded (`--record`, `"record": true`): the ticket and its decision written
             in one more transaction.
Each is run twice over the same customers: the first pass is "cold" (each customer's pages read for the
first time by this process; with `--drop-caches`, after the OS page cache was emptied, which needs root),
the second "warm" (the figures the targets are about). Messages are read by `--classifier`: `tfidf` (the
default install) or `installed` (the best model installed: with the `encoder` extra, the combined model).

Run: .venv/bin/python benchmarks/bench_triage.py [--database URL] [--samples 1000] [--classifier tfidf]
     [--drop-caches] [--smoke] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from rapport.demo.showcase import DEMO_NOW
from rapport.demo.synthetic import StoreGenerator
from rapport.domain import Intent, IntentReading, Ticket
from rapport.engine import decide
from rapport.engine.lean_rules import lean_policy_of
from rapport.policy import default_policy
from rapport.services.importing import import_jsonl
from rapport.services.merchants import open_merchant
from rapport.services.triage import TriageRequest, triage
from rapport.store.database import make_engine, session_factory, upgrade
from rapport.store.unit_of_work import factory_for
from rapport.understanding import IntentClassifier
from rapport.understanding.model import load_packaged_model
from rapport.understanding.reading import default_classifier

MESSAGES = (
    "Hi, my order arrived and the mug is cracked. Can you help?",
    "Where is my parcel? It has been a week.",
    "I'd like a refund for the blue vase please, it's not what I expected.",
    "Can I change the address on my order before it ships?",
)


@dataclass(frozen=True)
class Timing:
    """Wall-clock milliseconds (what the targets are about) and this thread's CPU milliseconds (what a
    shared machine's load inflates less: the time spent waiting for a core is not in it)."""

    median_ms: float
    p99_ms: float
    mean_ms: float
    cpu_median_ms: float
    n: int

    @staticmethod
    def of(wall: list[float], cpu: list[float]) -> Timing:
        ordered = sorted(wall)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return Timing(
            statistics.median(ordered), p99, statistics.fmean(ordered), statistics.median(cpu), len(ordered)
        )


def timed(runs: list[Callable[[], object]]) -> Timing:
    wall, cpu = [], []
    for run in runs:
        start, start_cpu = time.perf_counter(), time.thread_time()
        run()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
    return Timing.of(wall, cpu)


@contextmanager
def demo_store(customers: int) -> Iterator[tuple[str, datetime]]:
    """The demo store built in a temporary SQLite file (or RAPPORT_BENCH_DATABASE_URL): (url, its now)."""
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("RAPPORT_BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        engine = make_engine(url)
        upgrade(engine)
        units = factory_for(session_factory(engine))
        path = Path(tmp) / "store.jsonl"
        StoreGenerator(seed=7, now=DEMO_NOW).write(path, customers)
        merchant = open_merchant(units, slug="default", currency="USD", create=True)
        report = import_jsonl(units, path=path, merchant=merchant)
        assert not report.errors, report.errors[:3]
        engine.dispose()
        yield url, DEMO_NOW


def sample_emails(engine: Engine, merchant_id: int, count: int, seed: int) -> list[str]:
    """`count` distinct customers' e-mails drawn at random (seeded) from the whole id range."""
    with engine.connect() as connection:
        low, high = connection.execute(
            text("SELECT min(id), max(id) FROM customers WHERE merchant_id = :m"), {"m": merchant_id}
        ).one()
        rng = random.Random(seed)
        wanted = rng.sample(range(low, high + 1), min(count * 2, high - low + 1))
        rows = connection.execute(
            text("SELECT id, email FROM customers WHERE id IN ({})".format(",".join(map(str, wanted))))
        ).all()
    by_id = {row.id: row.email for row in rows if row.email}
    return [by_id[i] for i in wanted if i in by_id][:count]


def store_now(engine: Engine, merchant_id: int) -> datetime:
    """The store's present: its newest order (a synthetic store's orders end at its --now)."""
    with engine.connect() as connection:
        newest = connection.execute(
            text("SELECT max(created_at) FROM orders WHERE merchant_id = :m"), {"m": merchant_id}
        ).scalar_one()
    if isinstance(newest, str):  # SQLite keeps UTC text
        newest = datetime.fromisoformat(newest)
    return newest.replace(tzinfo=UTC) if newest.tzinfo is None else newest


def classifier_for(name: str) -> IntentClassifier:
    if name == "tfidf":
        model = load_packaged_model()
        assert model is not None, "the packaged TF-IDF model is missing"
        return model
    return default_classifier()


def measure(
    url: str,
    *,
    merchant_slug: str,
    samples: int,
    classifier_name: str,
    now: datetime | None,
    drop_caches: bool,
    seed: int = 1,
) -> dict[str, Any]:
    engine = make_engine(url)
    units = factory_for(session_factory(engine))
    merchant = open_merchant(units, slug=merchant_slug, currency="USD", create=False)
    with engine.connect() as connection:
        customers = connection.execute(
            text("SELECT count(*) FROM customers WHERE merchant_id = :m"), {"m": merchant.id}
        ).scalar_one()
    at = now or store_now(engine, merchant.id)
    emails = sample_emails(engine, merchant.id, samples, seed)
    policy = default_policy()
    classifier = classifier_for(classifier_name)
    classifier.classify("warm up the model")  # loading the model is not what is measured
    lookup_sql = "SELECT id FROM customers WHERE merchant_id = {} AND email = '{}'"
    raw = engine.raw_connection()
    cursor = raw.cursor()

    def lookup(email: str) -> Callable[[], object]:
        statement = lookup_sql.format(merchant.id, email.replace("'", "''"))
        return lambda: (cursor.execute(statement), cursor.fetchall())

    def profile_of(email: str) -> Callable[[], object]:
        def run() -> object:
            with units() as uow:
                profile = uow.profiles.get_profile(merchant_id=merchant.id, email=email, now=at)
                uow.commit()  # as the services end their reads (PostgreSQL keeps the statements prepared)
                return profile

        return run

    def triage_of(i: int, email: str, record: bool = False) -> Callable[[], object]:
        request = TriageRequest(email=email, message=MESSAGES[i % len(MESSAGES)], now=at)
        return lambda: triage(
            units, merchant=merchant, policy=policy, classifier=classifier, request=request, record=record
        )

    probe = engine.raw_connection()
    probe_cursor = probe.cursor()
    probe_cursor.execute("CREATE TABLE IF NOT EXISTS bench_commit_probe (n integer)")
    probe.commit()

    def commit_one() -> None:
        probe_cursor.execute("INSERT INTO bench_commit_probe VALUES (1)")
        probe.commit()

    if drop_caches:
        subprocess.run(["sh", "-c", "sync; echo 3 > /proc/sys/vm/drop_caches"], check=True)
    result: dict[str, Any] = {
        "database": engine.dialect.name,
        "customers": customers,
        "samples": len(emails),
        "classifier": classifier_name,
        "load_average_start": os.getloadavg()[0],
    }
    half = emails[: len(emails) // 2]
    other = emails[len(emails) // 2 :]
    # Cold: each path meets its customers for the first time (lookup and profile on one half, triage on
    # the other, so that the triage's profile is not warmed by the profile pass).
    result["cold"] = {
        "lookup": timed([lookup(e) for e in half]).__dict__,
        "profile": timed([profile_of(e) for e in half]).__dict__,
        "triage": timed([triage_of(i, e) for i, e in enumerate(other)]).__dict__,
    }
    profiles = [profile_of(e)() for e in emails]
    reading = IntentReading(intent=Intent.DAMAGED_ITEM, confidence=0.9, source="given")
    tickets = [
        Ticket(email=p.email, message=MESSAGES[0], received_at=at, reading=reading, order=p.last_order)
        for p in profiles  # type: ignore[attr-defined]
    ]
    lean = lean_policy_of(policy)
    warm: dict[str, Any] = {}
    for label, runs in (
        ("lookup", [lookup(e) for e in emails]),
        ("profile", [profile_of(e) for e in emails]),
        ("decide", [lambda t=t, p=p: decide(t, p, lean, at) for t, p in zip(tickets, profiles, strict=True)]),
        ("triage", [triage_of(i, e) for i, e in enumerate(emails)]),
        ("commit", [commit_one for _ in emails]),
        ("recorded", [triage_of(i, e, record=True) for i, e in enumerate(emails)]),
    ):
        warm[label] = timed(runs).__dict__
    result["warm"] = warm
    result["ratio_triage_to_lookup"] = warm["triage"]["median_ms"] / warm["lookup"]["median_ms"]
    result["ratio_recorded_to_commit"] = warm["recorded"]["median_ms"] / warm["commit"]["median_ms"]
    probe_cursor.execute("DROP TABLE bench_commit_probe")
    probe.commit()
    probe.close()
    result["load_average_end"] = os.getloadavg()[0]
    raw.close()
    engine.dispose()
    return result


def show(result: dict[str, Any]) -> None:
    print(
        f"== {result['database']}, {result['customers']:,} customers, {result['samples']} sampled, "
        f"messages read by {result['classifier']}; load average {result['load_average_start']:.1f} -> "
        f"{result['load_average_end']:.1f}"
    )
    for phase in ("cold", "warm"):
        for label, t in result[phase].items():
            print(
                f"  {phase:<4} {label:<8} median {t['median_ms']:7.3f} ms  p99 {t['p99_ms']:7.3f} ms  "
                f"mean {t['mean_ms']:7.3f} ms  (CPU median {t['cpu_median_ms']:6.3f} ms)  n={t['n']}"
            )
    print(f"  warm triage / warm lookup (medians): {result['ratio_triage_to_lookup']:.1f}x")
    print(
        "  warm recorded triage / a bare one-row INSERT + COMMIT (medians): "
        f"{result['ratio_recorded_to_commit']:.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="an existing store (default: build the demo store)")
    parser.add_argument("--merchant", default="default")
    parser.add_argument("--now", help="the store's present, ISO 8601 (default: its newest order)")
    parser.add_argument("--customers", type=int, default=3000, help="the demo store's size")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--classifier", choices=("tfidf", "installed"), default="tfidf")
    parser.add_argument("--drop-caches", action="store_true", help="empty the OS page cache first (root)")
    parser.add_argument("--smoke", action="store_true", help="a tiny store and few samples (CI)")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    if args.smoke:
        args.customers, args.samples = 200, 40
    if args.database:
        result = measure(
            args.database,
            merchant_slug=args.merchant,
            samples=args.samples,
            classifier_name=args.classifier,
            now=datetime.fromisoformat(args.now) if args.now else None,
            drop_caches=args.drop_caches,
        )
    else:
        with demo_store(args.customers) as (url, now):
            result = measure(
                url,
                merchant_slug="default",
                samples=args.samples,
                classifier_name=args.classifier,
                now=now,
                drop_caches=args.drop_caches,
            )
    print(json.dumps(result)) if args.json else show(result)


if __name__ == "__main__":
    main()
