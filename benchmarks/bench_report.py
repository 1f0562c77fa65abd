"""The outcome report on a generated store of N tickets: time of the read (3 statements) and the figures.

.venv/bin/python benchmarks/bench_report.py --tickets 100000 [--database-url URL]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

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
            uow.outcomes.session.connection().exec_driver_sql("ANALYZE")
            uow.commit()
    return merchant_id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    started = time.perf_counter()
    merchant_id = generate(url, args.tickets)
    print(
        f"generated {args.tickets:,} tickets in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})"
    )
    factory = units_of_work(url)
    reads, totals, references = [], [], []
    for _ in range(args.runs):
        reference = _one_scan(factory, merchant_id)
        t0 = time.perf_counter()
        with factory() as uow:
            facts = uow.outcomes.ticket_facts(merchant_id=merchant_id)
        t1 = time.perf_counter()
        outcomes(facts, now=NOW)
        t2 = time.perf_counter()
        outcome_report(factory, merchant_id=merchant_id, policy=default_policy(), now=NOW)
        t3 = time.perf_counter()
        reads.append(t1 - t0)
        totals.append(t3 - t2)
        references.append(reference)
        print(f"read {len(facts):,} tickets {t1 - t0:.2f} s, figures {t2 - t1:.2f} s, report {t3 - t2:.2f} s")
    report, scan = statistics.median(totals), statistics.median(references)
    print(f"median of {args.runs}: read {statistics.median(reads):.2f} s, report {report:.2f} s")
    print(f"reference, one aggregate scan of the tickets: {scan:.3f} s (report = {report / scan:.0f}x)")


def _one_scan(factory: UnitsOfWork, merchant_id: int) -> float:
    """The same run's yardstick: one SQL aggregate over the merchant's tickets, rows never leave SQL."""
    started = time.perf_counter()
    with factory() as uow:
        uow.outcomes.session.execute(
            text("SELECT count(*), sum(priority) FROM tickets WHERE merchant_id = :m"), {"m": merchant_id}
        ).one()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
