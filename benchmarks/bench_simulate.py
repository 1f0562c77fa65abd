"""`rapport simulate` at scale: 100,000 generated past tickets decided under two policies, then queued.

Run from the project root: `.venv/bin/python benchmarks/bench_simulate.py` (`--tickets N`, `--smoke` for
2,000, `--json` for one JSON line). Target (issue 12): 100,000 tickets, decisions + queueing, <= 20 s.

The history is generated (not timed): 20,000 customers across the default policy's segments (VIPs,
subscribers, loyal, first-time buyers, guests), each with one to three recent orders, writing over eight
weeks in office-hours waves, intents in realistic proportions, a handling time on 90 % of the tickets.
Intents are given, as in a history exported from a help desk: reading 100,000 messages would measure
the classifier (benchmarks/bench_understanding.py), not the simulator. The candidate is
examples/candidate_policy.yaml against the shipped default policy.

Printed with it, measured in the same run: the CPU time the simulation got (on a shared machine the wall
time also counts waiting for a core), the plain `engine.decide` loop (the policies as loaded, no lean
rules) on the first 10,000 tickets, the queueing simulation alone, the ratio of the simulation's time to
that plain loop's (extrapolated to both policies over every ticket), and the load average at start and end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from rapport.domain import CustomerProfile, Intent, IntentReading, LineItem, OrderSummary, Signal, Ticket
from rapport.engine import decide
from rapport.engine.queueing import Arrival
from rapport.engine.queueing import simulate as simulate_queues
from rapport.engine.replay import PastTicket
from rapport.policy import default_policy, load_policy
from rapport.services.sharded_replay import usable_cores
from rapport.services.simulation import simulate

ROOT = Path(__file__).resolve().parents[1]
CANDIDATE = ROOT / "examples" / "candidate_policy.yaml"
START = datetime(2026, 9, 7, tzinfo=UTC)  # a Monday
WEEKS = 8
INTENTS = {  # share of tickets, roughly a fashion store's help desk
    Intent.WHERE_IS_MY_ORDER: 22,
    Intent.LATE_DELIVERY: 14,
    Intent.RETURN_REQUEST: 10,
    Intent.DAMAGED_ITEM: 7,
    Intent.REFUND_REQUEST: 6,
    Intent.WRONG_ITEM: 4,
    Intent.MISSING_ITEM: 3,
    Intent.CANCEL_ORDER: 5,
    Intent.CHANGE_ORDER: 4,
    Intent.SUBSCRIPTION_CHANGE: 4,
    Intent.BILLING_ISSUE: 3,
    Intent.DISCOUNT_ISSUE: 4,
    Intent.PRODUCT_QUESTION: 6,
    Intent.ACCOUNT_ISSUE: 2,
    Intent.WEBSITE_ISSUE: 1,
    Intent.FEEDBACK: 3,
    Intent.HUMAN_REQUEST: 1,
    Intent.OTHER: 1,
}
ITEMS = ("Linen shirt", "Wool coat", "Canvas sneakers", "Silk scarf", "Rain jacket", "Coffee beans")


def an_order(draw: random.Random, number: int, before: datetime) -> OrderSummary:
    total = Decimal(str(round(draw.lognormvariate(4.3, 0.6), 2)))
    status = draw.choices(["fulfilled", "unfulfilled", "partial"], [70, 25, 5])[0]
    return OrderSummary(
        id=str(number),
        name=f"#{number}",
        created_at=before - timedelta(days=draw.randint(1, 80)),
        total=total,
        currency="USD",
        financial_status="paid",
        fulfillment_status=status,
        line_items=(LineItem(title=draw.choice(ITEMS), quantity=1, price=total),),
    )


def a_customer(draw: random.Random, index: int) -> CustomerProfile:
    kind = draw.choices(["vip", "subscriber", "loyal", "first_time", "guest"], [5, 10, 30, 40, 15])[0]
    email = f"customer{index}@example.com"
    if kind == "guest":
        return CustomerProfile.guest(email)
    orders = tuple(
        an_order(draw, 10_000 + index * 3 + k, START + timedelta(weeks=WEEKS))
        for k in range(draw.randint(1, 3))
    )
    count = {"vip": draw.randint(10, 30), "subscriber": draw.randint(2, 12), "loyal": draw.randint(3, 9)}.get(
        kind, 1
    )
    spent = sum((o.total for o in orders), Decimal(0)) + Decimal(count * 60)
    if kind == "vip":
        spent += 2000
    return CustomerProfile(
        email=email,
        is_known=True,
        customer_id=str(index),
        first_name=f"Customer {index}",
        orders_count=count,
        total_spent=spent,
        spent_last_365d=spent / 2,
        average_order_value=(spent / count).quantize(Decimal("0.01")),
        tenure_days=draw.randint(10, 1500),
        last_order=orders[0],
        open_orders=sum(o.is_open for o in orders),
        has_active_subscription=kind == "subscriber",
        tags=("loyalty",) if kind == "loyal" and draw.random() < 0.5 else (),
        contacts_last_90d=draw.randint(0, 3),
        credits_last_90d=Decimal(draw.choice([0, 0, 0, 10, 35])),
        recent_orders=orders,
    )


def arrival_time(draw: random.Random) -> datetime:
    """Office-hours waves: most tickets between 8:00 and 18:00, fewer at weekends."""
    day = draw.randrange(WEEKS * 7)
    while day % 7 >= 5 and draw.random() < 0.6:
        day = draw.randrange(WEEKS * 7)
    hour = draw.gauss(12.5, 3.0) % 24
    return START + timedelta(days=day, hours=hour)


def history(count: int, seed: int = 12) -> list[PastTicket]:
    draw = random.Random(seed)
    customers = [a_customer(draw, i) for i in range(max(1, count // 5))]
    intents, weights = list(INTENTS), list(INTENTS.values())
    tickets = []
    for _ in range(count):
        customer = draw.choice(customers)
        intent = draw.choices(intents, weights)[0]
        signals = (Signal("anger", "unacceptable"),) if draw.random() < 0.08 else ()
        order = customer.recent_orders[0] if customer.recent_orders and draw.random() < 0.85 else None
        ticket = Ticket(
            email=customer.email,
            message="(from the help desk export)",
            received_at=arrival_time(draw),
            reading=IntentReading(intent=intent, confidence=1.0, source="given"),
            order=order,
            signals=signals,
        )
        handled = round(draw.lognormvariate(2.2, 0.5), 1) if draw.random() < 0.9 else None
        tickets.append(PastTicket(ticket=ticket, profile=customer, handled_minutes=handled))
    return tickets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--smoke", action="store_true", help="2,000 tickets: the script works")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--processes", type=int, default=None, help="cores for the replay (default: all)")
    args = parser.parse_args()
    count = 2_000 if args.smoke else args.tickets
    load_start = [round(x, 2) for x in os.getloadavg()]
    current, candidate = default_policy(), load_policy(CANDIDATE)
    tickets = history(count)

    started, cpu_started = time.perf_counter(), _cpu_seconds()
    result = simulate(tickets, current=current, candidate=candidate, seed=1, processes=args.processes)
    total, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started

    sample = tickets[: min(10_000, count)]
    t0 = time.perf_counter()
    for past in sample:
        decide(past.ticket, past.profile, current, past.ticket.received_at)
    plain_per_decision = (time.perf_counter() - t0) / len(sample)

    decisions = [o.current for o in result.replay.outcomes]
    origin = min(p.ticket.received_at for p in tickets)
    arrivals = [
        Arrival(
            d.queue,
            (p.ticket.received_at - origin).total_seconds() / 60,
            d.priority,
            p.handled_minutes or 10.0,
        )
        for p, d in zip(tickets, decisions, strict=True)
    ]
    t0 = time.perf_counter()
    simulate_queues(arrivals, result.agents)
    queueing = time.perf_counter() - t0

    extrapolated = plain_per_decision * 2 * count
    figures = {
        "benchmark": "simulate",
        "tickets": count,
        "simulate_s": round(total, 2),
        # The CPU time this process and its replay processes got: on a shared machine, wall time also
        # counts waiting for a core.
        "simulate_cpu_s": round(cpu, 2),
        "processes": args.processes or usable_cores(),
        "per_ticket_us": round(total / count * 1e6, 1),
        "plain_decide_us": round(plain_per_decision * 1e6, 1),
        "plain_decide_both_policies_extrapolated_s": round(extrapolated, 1),
        # the whole simulation (both policies, queueing, processes) over the plain single-core loop
        "ratio": round(total / extrapolated, 2),
        "queueing_one_side_s": round(queueing, 3),
        "changed": result.replay.total.changed,
        "agents": result.agents,
        "load_average_start": load_start,
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(
        f"simulated {count:,} past tickets (two policies + queueing) on {figures['processes']} cores: "
        f"{total:.2f} s, {cpu:.2f} s of CPU ({figures['per_ticket_us']} µs a ticket), "
        "target <= 20 s for 100,000"
    )
    print(
        f"reference, same run: plain engine.decide {figures['plain_decide_us']} µs a decision "
        f"(both policies over {count:,} tickets: ~{figures['plain_decide_both_policies_extrapolated_s']} s); "
        f"queueing alone, one policy: {queueing:.3f} s; simulate = {figures['ratio']}x the plain loop"
    )
    print(
        f"decisions changed: {result.replay.total.changed:,}; agents: {result.agents}; "
        f"load average: {load_start} -> {figures['load_average_end']}"
    )


def _cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (the replay's forked processes)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


if __name__ == "__main__":
    main()
