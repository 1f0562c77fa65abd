"""Claim-next under contention: 50 claimers on 500 tickets, through the desk's own service.

The claimers are threads of this process calling `rapport.services.desk.lifecycle.claim_next` (the
service behind `POST /v1/queues/{name}/claim`, without HTTP), each on its own pooled connection, all
released at once, each claiming until the queue is empty. Measured on an SQLite file and on PostgreSQL
(a fresh schema) when RAPPORT_BENCH_DATABASE_URL or the test server answers.

The tickets: one through intake (`take_in`), the others written straight into the store with a copy of
its decision (as the concurrency tests do), spread over priorities and due times. The claimers are agents
written the same way (no argon2 work: nobody logs in).

References measured in the same run:
  - solo: one claimer alone claims the first 50 tickets (claim-next without contention);
  - show: the same 50 threads each read ticket views (`lifecycle.show`), as many as the claims,
    so the figure shows what one process does with 50 concurrent requests of any kind.
Then the exactly-once check: every ticket claimed by one claimer, one `claimed` event each.

Run: .venv/bin/python benchmarks/bench_claim.py [--tickets 500] [--claimers 50] [--smoke] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench_concurrency import percentile, postgres_schema
from bench_intake import postgres_url
from sqlalchemy import func, select

from rapport.domain import Intent, IntentReading
from rapport.domain.desk import Actor, Role, TicketStatus
from rapport.domain.errors import Conflict, StoreUnavailable
from rapport.drafting.template_drafter import TemplateDrafter
from rapport.policy import default_policy
from rapport.services.desk.intake import TicketIntake, take_in
from rapport.services.desk.lifecycle import claim_next, show
from rapport.services.setup import initialize
from rapport.services.tenancy import Tenant, Tenants
from rapport.store.database import make_engine, session_factory, upgrade
from rapport.store.models import DecisionRecord, TicketEvent, TicketRecord, User
from rapport.store.unit_of_work import UnitsOfWork, factory_for

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
QUEUE = "standard"
SOLO = 50


class DamagedReader:
    """The intent is known: these tickets measure claiming, not reading."""

    def classify(self, text: str) -> IntentReading:
        return IntentReading(intent=Intent.DAMAGED_ITEM, confidence=0.9, source="model")


def open_tickets(uow_factory: UnitsOfWork, tenant: Tenant, count: int) -> set[int]:
    """`count` open tickets in the standard queue: one through intake, the rest copies of its decision."""
    machine = Actor(merchant_id=tenant.merchant.id, role=Role.AGENT, label="key rk_bench")
    intake = TicketIntake(email="first@bench.example", body="My bowl arrived chipped.", now=NOW)
    first = take_in(
        uow_factory,
        tenant=tenant,
        actor=machine,
        classifier=DamagedReader(),
        drafter=TemplateDrafter(),
        intake=intake,
    ).view.ticket.id
    with uow_factory.sessions() as session:
        decision = session.scalar(
            select(DecisionRecord.decision_json).where(DecisionRecord.ticket_id == first)
        )
        rows = [
            TicketRecord(
                merchant_id=tenant.merchant.id,
                email=f"c{i}@bench.example",
                message="My bowl arrived chipped.",
                received_at=NOW,
                channel="email",
                intent="damaged_item",
                status="open",
                queue=QUEUE,
                priority=20 + i % 7,
                first_response_due=NOW + timedelta(minutes=i % 480),
            )
            for i in range(count - 1)
        ]
        session.add_all(rows)
        session.flush()
        session.add_all(
            DecisionRecord(
                merchant_id=tenant.merchant.id,
                ticket_id=row.id,
                created_at=NOW,
                segment="standard",
                queue=QUEUE,
                priority=row.priority,
                offer="refund",
                decision_json=decision,
            )
            for row in rows
        )
        session.commit()
        return {row.id for row in rows} | {first}


def agents(uow_factory: UnitsOfWork, merchant_id: int, count: int) -> list[Actor]:
    with uow_factory.sessions() as session:
        users = [
            User(
                merchant_id=merchant_id,
                email=f"agent{i}@bench.example",
                role="agent",
                password_hash="-",
                created_at=NOW,
            )
            for i in range(count)
        ]
        session.add_all(users)
        session.commit()
        return [Actor(merchant_id=merchant_id, role=Role.AGENT, user_id=u.id, label=u.email) for u in users]


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    began = time.perf_counter()
    value = call()
    return value, (time.perf_counter() - began) * 1000


def together(actors: list[Actor], work: Callable[[Actor], list[Any]]) -> tuple[list[list[Any]], float]:
    """Run `work` for every actor in its own thread, all released at once; (results, seconds)."""
    start = threading.Barrier(len(actors) + 1)

    def run(actor: Actor) -> list[Any]:
        start.wait()
        return work(actor)

    with ThreadPoolExecutor(len(actors)) as pool:
        futures = [pool.submit(run, actor) for actor in actors]
        start.wait()
        began = time.perf_counter()
        results = [f.result() for f in futures]
    return results, time.perf_counter() - began


def measure(url: str, label: str, args: argparse.Namespace) -> dict[str, Any]:
    engine = make_engine(url, pool_size=args.claimers + 5, max_overflow=0)
    upgrade(engine)
    uow_factory = factory_for(session_factory(engine))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            merchant = initialize(uow_factory, merchant="default", policy_path=Path(tmp) / "rapport.yaml")
            del merchant
        with uow_factory() as uow:
            found = uow.merchants.find("default")
            assert found is not None
        tenant = Tenants(uow_factory, default_policy=default_policy()).get(found.id)
        tickets = open_tickets(uow_factory, tenant, args.tickets + SOLO)
        people = agents(uow_factory, tenant.merchant.id, args.claimers)

        def claim(actor: Actor) -> Any:
            return claim_next(uow_factory, tenant=tenant, actor=actor, queue=QUEUE, now=NOW)

        solo = [timed(lambda: claim(people[0])) for _ in range(SOLO)]
        solo_ids = [view.ticket.id for view, _ in solo]
        ids = sorted(tickets)
        reads_each = max(1, args.tickets // args.claimers)

        def read(actor: Actor) -> list[float]:
            mine = ids[(actor.user_id or 0) % len(ids) :][:reads_each] or ids[:reads_each]
            return [
                timed(lambda t=t: show(uow_factory, tenant=tenant, ticket_id=t, now=NOW))[1] for t in mine
            ]

        read_results, read_seconds = together(people, read)

        refusals: Counter[str] = Counter()

        def work(actor: Actor) -> list[tuple[int, int | None, float]]:
            taken = []
            while True:
                try:
                    view, ms = timed(lambda: claim(actor))
                except Conflict:
                    return taken
                except StoreUnavailable as exc:  # the API answers 503; the claimer tries again
                    refusals[str(exc)[:60]] += 1
                    continue
                taken.append((view.ticket.id, view.ticket.assignee_id, ms))

        results, seconds = together(people, work)
        claimed = [
            (tid, owner, actor.user_id)
            for actor, taken in zip(people, results, strict=True)
            for tid, owner, _ in taken
        ]
        latencies = [ms for taken in results for _, _, ms in taken]
        with uow_factory.sessions() as session:
            statuses = Counter(session.scalars(select(TicketRecord.status)))
            events = Counter(
                session.scalars(select(TicketEvent.ticket_id).where(TicketEvent.kind == "claimed"))
            )
            stored = session.scalar(select(func.count()).select_from(TicketRecord))
        every = [tid for tid, _, _ in claimed] + solo_ids
        exactly_once = (
            len(every) == len(tickets) == stored
            and set(every) == tickets
            and all(owner == user for _, owner, user in claimed)
            and statuses == {TicketStatus.CLAIMED.value: len(tickets)}
            and set(events.values()) == {1}
            and len(events) == len(tickets)
        )
        reads = [ms for batch in read_results for ms in batch]
        solo_p99 = percentile([ms for _, ms in solo], 0.99)
        return {
            "database": label,
            "tickets": args.tickets,
            "claimers": args.claimers,
            "claimed": len(claimed),
            "claimers_that_claimed": sum(1 for taken in results if taken),
            "claims_per_second": len(claimed) / seconds if seconds else 0.0,
            "p50_ms": percentile(latencies, 0.50),
            "p99_ms": percentile(latencies, 0.99),
            "max_ms": max(latencies, default=float("nan")),
            "solo_p50_ms": percentile([ms for _, ms in solo], 0.50),
            "solo_p99_ms": percentile([ms for _, ms in solo], 0.99),
            "show_p50_ms": percentile(reads, 0.50),
            "show_p99_ms": percentile(reads, 0.99),
            "shows_per_second": len(reads) / read_seconds if read_seconds else 0.0,
            # how much contention costs the slowest claims: contended p99 over the lone claimer's
            "p99_ratio_to_solo": percentile(latencies, 0.99) / solo_p99 if solo_p99 else float("nan"),
            "store_unavailable": dict(refusals),
            "exactly_once": exactly_once,
        }
    finally:
        engine.dispose()


def report(r: dict[str, Any]) -> None:
    print(
        f"== {r['database']}: {r['claimers']} claimers (threads), "
        f"load average {r['load_average_start']} -> {r['load_average_end']}"
    )
    print(
        f"  claim-next  {r['claimed']} tickets by {r['claimers_that_claimed']} claimers, "
        f"{r['claims_per_second']:.0f} claims/s: p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, "
        f"max {r['max_ms']:.1f} ms (target p99 <= 20 ms: {'met' if r['p99_ms'] <= 20 else 'MISSED'})"
    )
    print(
        f"  reference: one claimer alone, {SOLO} claims: "
        f"p50 {r['solo_p50_ms']:.1f} ms, p99 {r['solo_p99_ms']:.1f} ms "
        f"(contended p99 = {r['p99_ratio_to_solo']:.1f}x the solo p99)"
    )
    print(
        f"  reference: {r['claimers']} threads reading ticket views: {r['shows_per_second']:.0f}/s, "
        f"p50 {r['show_p50_ms']:.1f} ms, p99 {r['show_p99_ms']:.1f} ms"
    )
    print(f"  refused (store unavailable, retried): {r['store_unavailable'] or 0}")
    print(f"  each ticket claimed exactly once: {'yes' if r['exactly_once'] else 'NO'}")


def stores(choice: str) -> Iterator[tuple[str, Callable[[], contextlib.AbstractContextManager[Any]]]]:
    if choice in ("all", "sqlite"):
        yield "sqlite", contextlib.nullcontext
    pg = postgres_url() if choice in ("all", "postgresql") else None
    if pg is not None:
        yield "postgresql", lambda: postgres_schema(pg)
    elif choice == "postgresql":
        raise SystemExit("no PostgreSQL server answers (RAPPORT_BENCH_DATABASE_URL or the test URL)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=500)
    parser.add_argument("--claimers", type=int, default=50)
    parser.add_argument("--database", choices=["all", "sqlite", "postgresql"], default="all")
    parser.add_argument("--smoke", action="store_true", help="a tiny run (CI): 40 tickets, 8 claimers")
    parser.add_argument("--json", action="store_true", help="also print each result as one JSON line")
    args = parser.parse_args()
    if args.smoke:
        args.tickets, args.claimers = 40, 8
        if args.database == "all" and not os.environ.get("RAPPORT_BENCH_DATABASE_URL"):
            args.database = "sqlite"  # PostgreSQL too when RAPPORT_BENCH_DATABASE_URL names a server
    failed = False
    for label, opened in stores(args.database):
        load_start = [round(x, 2) for x in os.getloadavg()]
        with tempfile.TemporaryDirectory() as tmp, opened() as schema_url:
            url = f"sqlite:///{tmp}/claims.db" if label == "sqlite" else schema_url
            result = measure(url, label, args)
        result["load_average_start"] = load_start
        result["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
        report(result)
        if args.json:
            print(json.dumps(result))
        failed = failed or not result["exactly_once"]
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
