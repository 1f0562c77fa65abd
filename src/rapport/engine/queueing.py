"""A discrete-event simulation of support queues: when would each ticket have had its first response?

Pure: plain data in, plain data out; times are minutes on one axis (the caller picks the origin), no clock.

The model, per queue: `agents` identical agents working around the clock; a ticket waits until an agent is
free, and a free agent takes the waiting ticket with the highest priority (the engine's `priority`), the
earliest arrival among equals, and works on it without interruption for its handling time. The first
response is sent when that work ends, so first-response time = wait + handling time. Queues do not lend
agents to each other.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# The handling time of a ticket when no ticket of the history has one to sample from.
DEFAULT_HANDLING_MINUTES = 15.0
# The staffing assumed when none is given: agents busy at most this share of the time on average.
TARGET_UTILIZATION = 0.85


@dataclass(frozen=True, slots=True)
class Arrival:
    """One ticket as the simulation sees it."""

    queue: str
    at: float  # minutes
    priority: int  # higher is served first
    handling: float  # minutes of an agent's work until the first response is sent


@dataclass(frozen=True, slots=True)
class ResponseStats:
    """First-response times of a group of tickets against their targets."""

    tickets: int
    median: float  # minutes
    p90: float
    within_target: int  # tickets answered within their own first-response target

    @property
    def attainment(self) -> float:
        """The share of tickets answered within target (1.0 for an empty group: nothing was late)."""
        return self.within_target / self.tickets if self.tickets else 1.0


def simulate(arrivals: Sequence[Arrival], agents: Mapping[str, int]) -> list[float]:
    """Each arrival's first-response time in minutes (wait + handling), in the order given.

    Every queue named by an arrival must have at least one agent in `agents` (ValueError otherwise)."""
    response = [0.0] * len(arrivals)
    by_queue: dict[str, list[int]] = {}
    for index, arrival in enumerate(arrivals):
        by_queue.setdefault(arrival.queue, []).append(index)
    for queue, indexes in by_queue.items():
        count = agents.get(queue, 0)
        if count < 1:
            raise ValueError(f"queue {queue!r} has no agents")
        indexes.sort(key=lambda i: arrivals[i].at)
        for index, start in _serve_queue([arrivals[i] for i in indexes], indexes, count):
            response[index] = start - arrivals[index].at + arrivals[index].handling
    return response


def _serve_queue(queue: list[Arrival], indexes: list[int], agents: int) -> Iterable[tuple[int, float]]:
    """(index, start of work) for every ticket of one queue, `queue` sorted by arrival time.

    The events are agents becoming free (a heap of free times); at each one, every ticket arrived by then
    competes for the agent, best priority first."""
    free_at = [-math.inf] * agents  # a heap: when each agent is next free
    waiting: list[tuple[int, float, int]] = []  # (-priority, arrival, position in `queue`)
    clock = -math.inf
    position = 0
    while position < len(queue) or waiting:
        soonest = free_at[0]
        # With nobody waiting, the next event is the later of a free agent and the next arrival.
        clock = max(soonest, clock) if waiting else max(soonest, queue[position].at)
        while position < len(queue) and queue[position].at <= clock:
            arrival = queue[position]
            heapq.heappush(waiting, (-arrival.priority, arrival.at, position))
            position += 1
        _, _, chosen = heapq.heappop(waiting)
        heapq.heapreplace(free_at, clock + queue[chosen].handling)
        yield indexes[chosen], clock


def fill_handling_times(handling: Sequence[float | None], kinds: Sequence[str], *, seed: int) -> list[float]:
    """Handling times with the missing ones sampled, deterministically for `seed`.

    A missing time is drawn (uniformly, with replacement) from the known times of tickets of the same
    kind (the caller passes the intent), else from all known times, else it is DEFAULT_HANDLING_MINUTES.
    Draws are made in the order given, so the same history and seed give the same times."""
    known_by_kind: dict[str, list[float]] = {}
    every_known: list[float] = []
    for minutes, kind in zip(handling, kinds, strict=True):
        if minutes is not None:
            known_by_kind.setdefault(kind, []).append(minutes)
            every_known.append(minutes)
    draw = random.Random(seed)
    filled: list[float] = []
    for minutes, kind in zip(handling, kinds, strict=True):
        if minutes is not None:
            filled.append(minutes)
            continue
        pool = known_by_kind.get(kind) or every_known
        filled.append(draw.choice(pool) if pool else DEFAULT_HANDLING_MINUTES)
    return filled


def staffing_for_load(arrivals: Sequence[Arrival]) -> dict[str, int]:
    """Per queue, the fewest agents that keep the average utilization at most TARGET_UTILIZATION.

    The offered load is the queue's total handling time over the span of the history (first to last
    arrival, at least one day, so that a short sample does not look like a rush)."""
    if not arrivals:
        return {}
    start = min(a.at for a in arrivals)
    span = max(max(a.at for a in arrivals) - start, 24 * 60.0)
    work: dict[str, float] = {}
    for arrival in arrivals:
        work[arrival.queue] = work.get(arrival.queue, 0.0) + arrival.handling
    return {queue: max(1, math.ceil(minutes / span / TARGET_UTILIZATION)) for queue, minutes in work.items()}


def response_stats(
    groups: Sequence[str], response: Sequence[float], targets: Sequence[float]
) -> dict[str, ResponseStats]:
    """First-response statistics per group (a queue or a segment name), groups in first-seen order."""
    times: dict[str, list[float]] = {}
    met: dict[str, int] = {}
    for group, minutes, target in zip(groups, response, targets, strict=True):
        times.setdefault(group, []).append(minutes)
        met[group] = met.get(group, 0) + (minutes <= target)
    return {group: _stats(values, met[group]) for group, values in times.items()}


def _stats(values: list[float], within_target: int) -> ResponseStats:
    values.sort()
    return ResponseStats(
        tickets=len(values),
        median=percentile(values, 0.5),
        p90=percentile(values, 0.9),
        within_target=within_target,
    )


def percentile(ordered: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of sorted values (the smallest value with `share` of them at or below)."""
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]
