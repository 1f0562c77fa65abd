"""The policy simulator: past tickets replayed under the current and a candidate policy, with the queues.

`read_history` reads a JSONL ticket history (bad lines are reported by number, the rest kept);
`simulate` replays the tickets (`rapport.engine.replay`) and runs the queueing simulation
(`rapport.engine.queueing`) for each policy with the same staffing and the same handling times.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rapport.domain import IntentReading, OrderSummary, Ticket
from rapport.domain.decision import Decision
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
from rapport.engine.replay import PastTicket, Replay, replay
from rapport.policy import Policy
from rapport.schemas.simulation import HistoryLine, read_history_line
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


def past_ticket(line: HistoryLine, *, classifier: IntentClassifier | None = None) -> PastTicket:
    """A history line read as triage reads a message: intent (given, else the classifier), entities,
    signals, and the order it is about (named, else resolved from the message and the intent)."""
    profile = line.profile()
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
) -> Simulation:
    """Replay `tickets` under both policies and simulate both sides' queues with the same staffing.

    A queue missing from `agents` is staffed for the load the current policy sends it (the candidate's,
    for a queue only the candidate has): `staffing_for_load`. Missing handling times are sampled once,
    for `seed`, and used by both sides, so that differences come from the policies alone."""
    given = dict(agents or {})
    check_agents(given, current, candidate)
    with _collector_paused():
        replayed = replay(tickets, current, candidate)
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
    tickets: Sequence[PastTicket], decisions: Sequence[Decision], handling: Sequence[float]
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
    decisions: Sequence[Decision],
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
