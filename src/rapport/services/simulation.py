"""The policy simulator: past tickets replayed under the current and a candidate policy, with the queues.

`read_history` reads a JSONL ticket history (bad lines are reported by number, the rest kept);
`simulate` replays the tickets (`rapport.engine.replay`) and runs the queueing simulation
(`rapport.engine.queueing`) for each policy with the same staffing and the same handling times.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from rapport.domain import CustomerProfile, Intent, IntentReading, OrderSummary, Ticket
from rapport.domain.errors import InvalidInput
from rapport.engine.queueing import (
    Arrival,
    ResponseStats,
    fill_handling_times,
    response_stats,
    staffing_for_load,
)
from rapport.engine.queueing import (
    simulate as simulate_queues,
)
from rapport.engine.replay import PastTicket, Replay, Verdict
from rapport.policy import Policy
from rapport.schemas.simulation import HistoryLine, StoredPastTicket, read_history_line
from rapport.services.ports import UnitOfWork, UnitOfWorkFactory
from rapport.services.sharded_replay import replay_sharded
from rapport.understanding import IntentClassifier, read_message, resolve_order

MAX_BAD_LINES_KEPT = 1_000  # a wholly wrong file should not fill the terminal


@dataclass(frozen=True, slots=True)
class BadLine:
    """A history line that could not be used: its number (from 1) and `field: what is wrong`."""

    line: int
    message: str


@dataclass(frozen=True, slots=True)
class History:
    tickets: tuple[PastTicket, ...]
    bad_lines: tuple[BadLine, ...]
    bad_count: int  # all of them, even beyond the ones kept


@dataclass(frozen=True, slots=True)
class SideResponse:
    """One policy's predicted first responses, per queue and per segment, against its own targets."""

    total: ResponseStats
    queues: dict[str, ResponseStats]
    segments: dict[str, ResponseStats]


@dataclass(frozen=True, slots=True)
class Simulation:
    replay: Replay
    agents: dict[str, int]  # the staffing simulated, per queue
    sized_queues: tuple[str, ...]  # the queues whose agents were sized from the load (not given)
    sampled_handling: int  # tickets without a handling time, given a sampled one
    current: SideResponse
    candidate: SideResponse


def read_history(path: Path, *, classifier: IntentClassifier | None = None) -> History:
    """The usable tickets of a JSONL history and the lines that were not (an unreadable file raises)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot read the ticket history ({exc})") from None
    tickets: list[PastTicket] = []
    bad: list[BadLine] = []
    count = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            tickets.append(past_ticket(read_history_line(raw), classifier=classifier))
        except InvalidInput as exc:
            count += 1
            if len(bad) < MAX_BAD_LINES_KEPT:
                bad.append(BadLine(number, exc.message))
    return History(tickets=tuple(tickets), bad_lines=tuple(bad), bad_count=count)


def past_ticket(
    line: HistoryLine, *, classifier: IntentClassifier | None = None, profile: CustomerProfile | None = None
) -> PastTicket:
    """A history line read as triage reads a message: intent (given, else the classifier), entities,
    signals, and the order it is about (named, else resolved from the message and the intent).
    `profile` replaces the line's customer (the store's profile, for `--from-store`)."""
    profile = profile or line.profile()
    given = IntentReading(intent=line.intent, confidence=1.0, source="given") if line.intent else None
    reading = read_message(
        line.message,
        classifier=classifier,
        intent=given,
        known_orders=profile.recent_orders,
        contacts_last_90d=profile.contacts_last_90d,
    )
    if line.order is not None:
        order: OrderSummary | None = _named_order(line.order, profile.recent_orders)
    else:
        order = resolve_order(reading.entities, profile.recent_orders, reading.reading.intent)
    ticket = Ticket(
        email=line.email,
        message=line.message,
        received_at=line.received_at,
        reading=reading.reading,
        order=order,
        entities=reading.entities,
        signals=reading.signals,
        channel=line.channel,
    )
    return PastTicket(ticket=ticket, profile=profile, handled_minutes=line.handled_minutes)


def history_from_store(
    uow_factory: UnitOfWorkFactory,
    *,
    merchant_id: int,
    since: datetime,
    until: datetime | None = None,
    classifier: IntentClassifier | None = None,
) -> History:
    """The merchant's tickets received since `since`, each with the customer's profile as of its arrival.

    The intent is the one stored. The 90-day grants a profile carries are taken as of `since` (once per
    customer): grants made for the replayed tickets themselves are the replay's to add, per policy."""
    tickets: list[PastTicket] = []
    bad: list[BadLine] = []
    with uow_factory() as uow:
        rows = uow.ticket_history.between(merchant_id=merchant_id, since=since, until=until)
        before: dict[str, CustomerProfile] = {}
        for number, row in enumerate(rows, start=1):
            if row.email not in before:
                before[row.email] = uow.profiles.get_profile(
                    merchant_id=merchant_id, email=row.email, now=since
                )
            profile = uow.profiles.get_profile(merchant_id=merchant_id, email=row.email, now=row.received_at)
            granted = before[row.email]
            profile = replace(
                profile, refunds_last_90d=granted.refunds_last_90d, credits_last_90d=granted.credits_last_90d
            )
            try:
                tickets.append(
                    _stored_ticket(row, profile, _linked_order(uow, merchant_id, row, profile), classifier)
                )
            except InvalidInput as exc:
                bad.append(BadLine(number, exc.message))
    return History(tickets=tuple(tickets), bad_lines=tuple(bad), bad_count=len(bad))


def _linked_order(
    uow: UnitOfWork, merchant_id: int, row: StoredPastTicket, profile: CustomerProfile
) -> OrderSummary | None:
    """The order the ticket was linked to: among the profile's recent orders, else looked up."""
    if row.order_id is None:
        return None
    recent = next((o for o in profile.recent_orders if o.id == row.order_id), None)
    return recent or uow.orders.find_summary(merchant_id=merchant_id, name_or_id=row.order_id)


def _stored_ticket(
    row: StoredPastTicket,
    profile: CustomerProfile,
    order: OrderSummary | None,
    classifier: IntentClassifier | None,
) -> PastTicket:
    try:
        intent = Intent(row.intent)
    except ValueError:
        raise InvalidInput(
            f"intent: {row.intent!r} is not an intent (ticket of {row.received_at.isoformat()})"
        ) from None
    line = HistoryLine.model_construct(
        received_at=row.received_at,
        email=row.email,
        message=row.message,
        intent=intent,
        order=None,
        channel=row.channel,
        handled_minutes=row.handled_minutes,
        customer=None,
    )
    past = past_ticket(line, classifier=classifier, profile=profile)
    if order is None:
        return past  # no order linked: found from the message and the intent, as triage does
    return replace(past, ticket=replace(past.ticket, order=order))


def _named_order(name: str, orders: Sequence[OrderSummary]) -> OrderSummary:
    wanted = name.strip().lstrip("#").lstrip("0")
    for order in orders:
        if wanted in (order.name.strip().lstrip("#").lstrip("0"), order.id):
            return order
    raise InvalidInput(f"order: {name!r} is not one of customer.recent_orders")


def check_agents(agents: Mapping[str, int], current: Policy, candidate: Policy) -> None:
    """Every staffed queue must be a queue of one of the policies, with at least one agent."""
    known = {q.name for q in current.queues} | {q.name for q in candidate.queues}
    for queue, count in agents.items():
        if queue not in known:
            raise InvalidInput(
                f"--agents: no queue {queue!r} in either policy (queues: {', '.join(sorted(known))})"
            )
        if count < 1:
            raise InvalidInput(f"--agents: {queue}={count}: a queue needs at least one agent")


def simulate(
    tickets: Sequence[PastTicket],
    *,
    current: Policy,
    candidate: Policy,
    agents: Mapping[str, int] | None = None,
    seed: int = 0,
    processes: int | None = None,
) -> Simulation:
    """Replay `tickets` under both policies and simulate both sides' queues with the same staffing.

    A queue missing from `agents` is staffed for the load the current policy sends it (the candidate's,
    for a queue only the candidate has): `staffing_for_load`. Missing handling times are sampled once,
    for `seed`, and used by both sides, so that differences come from the policies alone. A long history
    is decided on `processes` cores (default: all this process may use; `sharded_replay`)."""
    given = dict(agents or {})
    check_agents(given, current, candidate)
    with _collector_paused():
        replayed = replay_sharded(tickets, current, candidate, processes=processes)
    handling = fill_handling_times(
        [t.handled_minutes for t in tickets], [t.ticket.intent.value for t in tickets], seed=seed
    )
    now_arrivals = _arrivals(tickets, [o.current for o in replayed.outcomes], handling)
    then_arrivals = _arrivals(tickets, [o.candidate for o in replayed.outcomes], handling)
    staffing = staffing_for_load(then_arrivals) | staffing_for_load(now_arrivals) | given
    return Simulation(
        replay=replayed,
        agents=staffing,
        sized_queues=tuple(sorted(set(staffing) - set(given))),
        sampled_handling=sum(t.handled_minutes is None for t in tickets),
        current=_responses(now_arrivals, [o.current for o in replayed.outcomes], tickets, staffing),
        candidate=_responses(then_arrivals, [o.candidate for o in replayed.outcomes], tickets, staffing),
    )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while the replay builds its decisions (two per ticket, each a
    few dozen objects, all kept): its full collections would walk every one of them again and again,
    about a fifth of a 100,000-ticket replay. Decisions hold no cycles; whatever else is collected after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _arrivals(
    tickets: Sequence[PastTicket], decisions: Sequence[Verdict], handling: Sequence[float]
) -> list[Arrival]:
    """The tickets on the simulation's axis: minutes since the first arrival."""
    if not tickets:
        return []
    start = min(t.ticket.received_at for t in tickets)
    return [
        Arrival(
            queue=decision.queue,
            at=(past.ticket.received_at - start).total_seconds() / 60,
            priority=decision.priority,
            handling=minutes,
        )
        for past, decision, minutes in zip(tickets, decisions, handling, strict=True)
    ]


def _responses(
    arrivals: Sequence[Arrival],
    decisions: Sequence[Verdict],
    tickets: Sequence[PastTicket],
    agents: Mapping[str, int],
) -> SideResponse:
    response = simulate_queues(arrivals, agents)
    targets = [
        (d.first_response_due - t.ticket.received_at).total_seconds() / 60
        for d, t in zip(decisions, tickets, strict=True)
    ]
    everyone = ["all"] * len(decisions)
    return SideResponse(
        total=response_stats(everyone, response, targets).get("all", ResponseStats(0, 0.0, 0.0, 0)),
        queues=response_stats([d.queue for d in decisions], response, targets),
        segments=response_stats([d.segment for d in decisions], response, targets),
    )
