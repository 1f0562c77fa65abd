"""A replay split by customer across processes gives the one-process replay, ticket for ticket."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta, timezone

from engine.engine_builders import (
    NOW,
    a_customer,
    a_first_timer,
    a_policy,
    a_subscriber,
    a_ticket,
    a_vip,
    an_order,
    resolutions_for,
)
from rapport.domain import Intent
from rapport.engine.replay import PastTicket, decide_both, replay
from rapport.policy import default_policy
from rapport.services.sharded_replay import PackedOutcomes, customer_shards, replay_sharded

DEFAULT = default_policy()
GENEROUS_LATE = a_policy(
    resolutions=resolutions_for(Intent.LATE_DELIVERY, {"offer": "store_credit", "amount": 40})
)
INTENTS = (Intent.LATE_DELIVERY, Intent.DAMAGED_ITEM, Intent.WHERE_IS_MY_ORDER, Intent.REFUND_REQUEST)
KINDS = (a_customer, a_vip, a_subscriber, a_first_timer)


def a_history(customers: int = 40, tickets: int = 240, seed: int = 3) -> list[PastTicket]:
    """Customers of every kind writing several times over four months (so 90-day budgets fill up)."""
    draw = random.Random(seed)
    people = [
        replace(KINDS[i % len(KINDS)](), email=f"customer{i}@example.com", customer_id=f"c-{i}")
        for i in range(customers)
    ]
    history = []
    for _ in range(tickets):
        person = draw.choice(people)
        ticket = a_ticket(draw.choice(INTENTS), order=an_order(total=f"{draw.randint(20, 300)}.00"))
        arrival = NOW + timedelta(days=draw.uniform(0, 120))
        history.append(
            PastTicket(ticket=replace(ticket, email=person.email, received_at=arrival), profile=person)
        )
    return history


def test_a_replay_on_two_processes_equals_the_replay_on_one() -> None:
    history = a_history()
    alone = replay(history, DEFAULT, GENEROUS_LATE)
    sharded = replay_sharded(history, DEFAULT, GENEROUS_LATE, processes=2, min_tickets=0)
    assert alone.total.candidate.budget_exhausted > 0  # the ledger mattered: the comparison is not vacuous
    assert sharded.outcomes == alone.outcomes
    assert (sharded.total, sharded.segments, sharded.queues) == (alone.total, alone.segments, alone.queues)


def test_every_ticket_of_a_customer_lands_in_the_same_part() -> None:
    history = a_history()
    shards = customer_shards(history, 2)
    owners = [{history[i].profile.email.lower() for i in shard} for shard in shards]
    assert len(shards) == 2
    assert not owners[0] & owners[1]
    assert sorted(i for shard in shards for i in shard) == list(range(len(history)))


def test_a_short_history_is_replayed_in_this_process() -> None:
    history = a_history(tickets=30)
    assert replay_sharded(history, DEFAULT, GENEROUS_LATE, processes=2).outcomes == (
        replay(history, DEFAULT, GENEROUS_LATE).outcomes
    )


def test_packed_outcomes_read_back_the_same_verdicts_and_time_zones() -> None:
    paris = timezone(timedelta(hours=1))
    history = [
        replace(p, ticket=replace(p.ticket, received_at=p.ticket.received_at.astimezone(paris)))
        for p in a_history(tickets=20)
    ]
    outcomes = decide_both(history, DEFAULT, GENEROUS_LATE)
    unpacked = PackedOutcomes.pack(outcomes).unpack()
    assert unpacked == outcomes
    assert [o.current.first_response_due.utcoffset() for o in unpacked] == [
        o.current.first_response_due.utcoffset() for o in outcomes
    ]
