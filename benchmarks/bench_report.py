"""The outcome report on a generated store of N tickets: time of the read (3 statements) and the figures.

The reference, measured in the same run on the same store: a plain `SELECT queue, status, count(*) ...
GROUP BY queue, status` over the merchant's tickets (the rows never leave SQL); the ratio is how many
times longer the whole report takes. Printed with the load average at start and end.

.venv/bin/python benchmarks/bench_report.py [--tickets 100000] [--runs 3] [--database-url URL] [--smoke]
    [--json]
(--smoke: 2,000 tickets, one run. PostgreSQL: --database-url, else RAPPORT_BENCH_DATABASE_URL; the
store is built in a fresh schema of that server, dropped after.)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench_concurrency import postgres_schema
from sqlalchemy import insert, text

from rapport.engine.outcomes import outcomes
from rapport.policy import default_policy
from rapport.services.reports import outcome_report
from rapport.store.models import (
    Customer,
    DecisionRecord,
    Grant,
    Merchant,
    Order,
    TicketEvent,
    TicketRecord,
    table_of,
)
from rapport.store.unit_of_work import UnitsOfWork, units_of_work

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SEGMENTS = (
    ("vip", "priority"),
    ("loyal", "priority"),
    ("subscriber", "standard"),
    ("new", "standard"),
    ("guest", "standard"),
)


def generate(url: str, tickets: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    factory = units_of_work(url)
    customers = max(1, tickets // 4)
    with factory(write=True) as uow:
        s = uow.outcomes.session
        merchant_id = s.execute(
            insert(table_of(Merchant))
            .values(slug="bench", name="Bench", currency="USD")
            .returning(table_of(Merchant).c.id)
        ).scalar_one()
        s.execute(
            insert(table_of(Customer)),
            [
                {
                    "id": i,
                    "merchant_id": merchant_id,
                    "external_id": f"c{i}",
                    "email": f"c{i}@example.com",
                    "loyalty_points": 0,
                    "accepts_marketing": False,
                }
                for i in range(1, customers + 1)
            ],
        )
        s.execute(
            insert(table_of(Order)),
            [
                {
                    "merchant_id": merchant_id,
                    "external_id": f"o{i}",
                    "customer_id": rng.randint(1, customers),
                    "name": f"#{i}",
                    "created_at": NOW - timedelta(days=rng.uniform(0, 400)),
                    "total": Decimal("40.00"),
                    "currency": "USD",
                    "financial_status": "paid",
                    "fulfillment_status": "fulfilled",
                }
                for i in range(1, 3 * customers + 1)
            ],
        )
        ticket_rows, decision_rows, grant_rows, event_rows = [], [], [], []
        for i in range(1, tickets + 1):
            received = NOW - timedelta(days=rng.uniform(0, 180))
            segment, queue = rng.choice(SEGMENTS)
            answered = received + timedelta(minutes=rng.expovariate(1 / 90)) if rng.random() < 0.95 else None
            resolved = (
                received + timedelta(hours=rng.expovariate(1 / 20))
                if answered and rng.random() < 0.85
                else None
            )
            customer = rng.randint(1, customers) if segment != "guest" else None
            ticket_rows.append(
                {
                    "id": i,
                    "merchant_id": merchant_id,
                    "customer_id": customer,
                    "email": f"c{customer}@example.com",
                    "message": "My order is late.",
                    "received_at": received,
                    "channel": "email",
                    "intent": "late_delivery",
                    "status": "resolved" if resolved else "claimed",
                    "queue": queue,
                    "first_response_due": received + timedelta(hours=1 if queue == "priority" else 4),
                    "first_responded_at": answered,
                    "resolved_at": resolved,
                }
            )
            decision_rows.append(
                {
                    "merchant_id": merchant_id,
                    "ticket_id": i,
                    "created_at": received,
                    "segment": segment,
                    "queue": queue,
                    "priority": 1,
                    "offer": "apology",
                    "amount": None,
                    "decision_json": {},
                }
            )
            if rng.random() < 0.3:
                amount = Decimal(rng.randint(500, 5000)) / 100
                grant_rows.append(
                    {
                        "merchant_id": merchant_id,
                        "customer_id": customer,
                        "email": "x@example.com",
                        "ticket_id": i,
                        "offer": "store_credit",
                        "amount": amount,
                        "currency": "USD",
                        "amount_in_policy_currency": amount,
                        "granted_by_label": "agent",
                        "role": "agent",
                        "created_at": received,
                    }
                )
            if resolved and rng.random() < 0.4:
                event_rows.append(
                    {
                        "merchant_id": merchant_id,
                        "ticket_id": i,
                        "at": resolved + timedelta(days=1),
                        "kind": "csat_answered",
                        "actor_label": "customer",
                        "detail": {"score": rng.randint(1, 5)},
                    }
                )
            event_rows.append(
                {
                    "merchant_id": merchant_id,
                    "ticket_id": i,
                    "at": received,
                    "kind": "created",
                    "actor_label": "intake",
                    "detail": None,
                }
            )
        for model, rows in (
            (TicketRecord, ticket_rows),
            (DecisionRecord, decision_rows),
            (Grant, grant_rows),
            (TicketEvent, event_rows),
        ):
            for start in range(0, len(rows), 20_000):
                s.execute(insert(table_of(model)), rows[start : start + 20_000])
        uow.commit()
    with factory() as uow:  # as the store's own bulk writers do (store/statistics.py): fresh statistics
        if uow.outcomes.session.bind.dialect.name == "postgresql":
            # the written tables only: a bare ANALYZE would read every schema of the server's database
            written = (Customer, Order, TicketRecord, DecisionRecord, Grant, TicketEvent)
            names = ", ".join(table_of(model).name for model in written)
            uow.outcomes.session.connection().exec_driver_sql(f"ANALYZE {names}")
            uow.commit()
    return merchant_id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("RAPPORT_BENCH_DATABASE_URL", ""))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="a tiny run (CI): 2,000 tickets, one run")
    parser.add_argument("--json", action="store_true", help="one JSON line")
    args = parser.parse_args()
    if args.smoke:
        args.tickets, args.runs = 2_000, 1
    load_start = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        pg = args.database_url
        url = stack.enter_context(postgres_schema(pg)) if pg else f"sqlite:///{Path(tmp) / 'bench.db'}"
        result = measure(url, args.tickets, args.runs, quiet=args.json)
    result["load_average_start"] = load_start
    result["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"median of {args.runs}: read {result['read_s']:.2f} s, report {result['report_s']:.2f} s; "
        f"reference, a plain GROUP BY count over the same tickets: {result['reference_s']:.3f} s "
        f"(report = {result['ratio']:.0f}x); "
        f"load average {result['load_average_start']} -> {result['load_average_end']}"
    )


def measure(url: str, tickets: int, runs: int, *, quiet: bool) -> dict[str, object]:
    """Generate the store, then time the read, the figures and the report `runs` times, each beside
    the reference."""
    started = time.perf_counter()
    merchant_id = generate(url, tickets)
    generated = time.perf_counter() - started
    if not quiet:
        print(f"generated {tickets:,} tickets in {generated:.1f} s ({url.split(':')[0]})")
    factory = units_of_work(url)
    reads, totals, references = [], [], []
    for _ in range(runs):
        reference = _one_scan(factory, merchant_id)
        t0 = time.perf_counter()
        with factory() as uow:
            facts = uow.outcomes.ticket_facts(merchant_id=merchant_id)
        t1 = time.perf_counter()
        outcomes(facts, now=NOW)
        t2 = time.perf_counter()
        outcome_report(factory, merchant_id=merchant_id, policy=default_policy(), now=NOW)
        t3 = time.perf_counter()
        if len(facts) != tickets:
            raise SystemExit(f"the report read {len(facts):,} tickets of {tickets:,}")
        reads.append(t1 - t0)
        totals.append(t3 - t2)
        references.append(reference)
        if not quiet:
            print(
                f"read {len(facts):,} tickets {t1 - t0:.2f} s, figures {t2 - t1:.2f} s, "
                f"report {t3 - t2:.2f} s"
            )
    report, scan = statistics.median(totals), statistics.median(references)
    return {
        "benchmark": "report",
        "database": url.split(":")[0].split("+")[0],
        "tickets": tickets,
        "runs": runs,
        "generate_s": round(generated, 2),
        "read_s": round(statistics.median(reads), 3),
        "report_s": round(report, 3),
        "reference_s": round(scan, 4),
        "ratio": round(report / scan, 1),  # times longer than the plain GROUP BY
    }


def _one_scan(factory: UnitsOfWork, merchant_id: int) -> float:
    """The same run's yardstick: a plain GROUP BY count over the merchant's tickets, in SQL only."""
    started = time.perf_counter()
    with factory() as uow:
        uow.outcomes.session.execute(
            text("SELECT queue, status, count(*) FROM tickets WHERE merchant_id = :m GROUP BY queue, status"),
            {"m": merchant_id},
        ).all()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
