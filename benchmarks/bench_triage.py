"""How fast Rapport knows a customer and decides: profile (SQL aggregates), engine, whole triage.

Builds the demo store (3,000 synthetic customers, seeded) in a temporary SQLite file — or in
PostgreSQL when RAPPORT_BENCH_DATABASE_URL is set — then times, over many customers:
  - profile: ProfileRepository.get_profile (SQL aggregates, one customer)
  - decide:  engine.decide (pure; CEL rules, limits, explanation)
  - triage:  the whole service (profile + message reading + decide + recording the decision)
  - draft:   the template reply for a triaged ticket, with its guardrail check

Run: .venv/bin/python benchmarks/bench_triage.py [--customers 3000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rapport.bootstrap import build
from rapport.config import Settings
from rapport.demo.showcase import DEMO_NOW
from rapport.demo.synthetic import StoreGenerator
from rapport.domain import Intent, IntentReading, Ticket
from rapport.engine import decide
from rapport.policy import default_policy
from rapport.services.importing import import_jsonl
from rapport.services.replies import draft_reply
from rapport.services.triage import TriageRequest, TriageResult, triage
from rapport.store.database import make_engine, session_factory, upgrade
from rapport.store.unit_of_work import UnitOfWork


def timed(label: str, runs: list[Callable[[], object]]) -> None:
    samples = []
    for run in runs:
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print(
        f"{label:<8} n={len(samples):>5}  median {statistics.median(samples):7.3f} ms  "
        f"p99 {p99:7.3f} ms  mean {statistics.fmean(samples):7.3f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--samples", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("RAPPORT_BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        engine = make_engine(url)
        upgrade(engine)
        sessions = session_factory(engine)

        def factory(*, write: bool = False) -> UnitOfWork:
            return UnitOfWork(sessions, write=write)

        path = Path(tmp) / "store.jsonl"
        records = StoreGenerator(seed=7, now=DEMO_NOW).write(path, args.customers)
        policy = default_policy()
        app = build(
            Settings(database_url=url, _env_file=None),
            policy=policy,
            uow_factory=factory,
            create_merchant=True,
        )
        merchant = app.merchant
        start = time.perf_counter()
        report = import_jsonl(factory, path=path, merchant=merchant)
        took = time.perf_counter() - start
        print(
            f"database {engine.dialect.name}; "
            f"import {records:,} records in {took:.2f}s ({records / took:,.0f}/s)"
        )
        assert not report.errors, report.errors[:3]

        rng = random.Random(1)
        emails = [f"{r['email']}" for r in _customers(path)]
        sample = [rng.choice(emails) for _ in range(args.samples)]
        merchant_id = merchant.id

        profiles = []

        def profile_of(email: str) -> Callable[[], object]:
            def run() -> None:
                with factory() as uow:
                    profiles.append(
                        uow.profiles.get_profile(merchant_id=merchant_id, email=email, now=DEMO_NOW)
                    )

            return run

        timed("profile", [profile_of(e) for e in sample])
        reading = IntentReading(intent=Intent.DAMAGED_ITEM, confidence=0.9, source="given")
        tickets = [
            Ticket(
                email=p.email,
                message="arrived broken",
                received_at=DEMO_NOW,
                reading=reading,
                order=p.last_order,
            )
            for p in profiles
        ]
        pairs = zip(tickets, profiles, strict=True)
        timed("decide", [lambda t=t, p=p: decide(t, p, policy, DEMO_NOW) for t, p in pairs])
        message = "Hi, my order arrived and the mug is cracked. Can you help?"
        results: list[TriageResult] = []

        def triage_of(email: str) -> Callable[[], object]:
            def run() -> None:
                request = TriageRequest(email=email, message=message, now=DEMO_NOW)
                results.append(
                    triage(
                        factory, merchant=merchant, policy=policy, classifier=app.classifier, request=request
                    )
                )

            return run

        timed("triage", [triage_of(e) for e in sample[: args.samples // 2]])
        timed("draft", [lambda r=r: draft_reply(r, drafter=app.drafter, brand=app.brand) for r in results])


def _customers(path: Path) -> list[dict[str, str]]:
    with path.open() as lines:
        return [r for r in map(json.loads, lines) if r["kind"] == "customer"]


if __name__ == "__main__":
    main()
