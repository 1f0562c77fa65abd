"""A long replay split by customer across the machine's cores.

A replay decides every past ticket twice (about 300 µs a ticket), one core at a time: 100,000 tickets
take half a minute on one core. A customer's outcomes depend only on that customer's own tickets (the
90-day ledger that fills up as a side grants is per customer, `rapport.engine.replay.decide_both`), so
the history is split by customer into one part per core, the parts are decided at once, and the
verdicts are put back in the history's order: the same `Replay` as one process gives, ticket for ticket.

The other processes are forked: they start with the history and the policies already in memory (the
compiled rules are not picklable, and sending 100,000 profiles would cost what it saves), and send back
only the verdicts, packed: the few distinct (segment, queue, priority, offer) a history produces once,
and two numbers per verdict (pickling 50,000 outcomes as objects took 1.6 s, and as long to read back).
The calling process decides one part itself. Where forking is not available, or the
history is short enough that starting a process does not pay, the replay runs in this process.
"""

from __future__ import annotations

import multiprocessing
import os
import zlib
from array import array
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from rapport.domain.decision import ResolutionOffer
from rapport.engine.replay import Outcome, PastTicket, Replay, Verdict, decide_both, tally
from rapport.policy import Policy

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

# Below this a forked process costs more than it saves (measured: benchmarks/bench_simulate.py).
MIN_TICKETS_TO_SHARD = 20_000

# What the forked processes decide: set by the parent just before it forks, read by the children.
_forked_work: tuple[Sequence[PastTicket], Policy, Policy] | None = None


def replay_sharded(
    tickets: Sequence[PastTicket],
    current: Policy,
    candidate: Policy,
    *,
    processes: int | None = None,
    min_tickets: int = MIN_TICKETS_TO_SHARD,
) -> Replay:
    """`rapport.engine.replay.replay`, on `processes` cores (default: the cores this process may use)."""
    count = processes if processes is not None else usable_cores()
    if (
        count < 2
        or len(tickets) < max(min_tickets, 2)
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return tally(decide_both(tickets, current, candidate))
    shards = customer_shards(tickets, count)
    if len(shards) < 2:  # one customer's history: nothing to split
        return tally(decide_both(tickets, current, candidate))
    outcomes: list[Outcome | None] = [None] * len(tickets)
    global _forked_work
    _forked_work = (tickets, current, candidate)
    try:
        with ProcessPoolExecutor(
            max_workers=len(shards) - 1, mp_context=multiprocessing.get_context("fork")
        ) as pool:
            others = [(shard, pool.submit(_decide_shard, shard)) for shard in shards[1:]]
            parts = [(shards[0], _decide(shards[0]))]
            parts += [(shard, future.result().unpack()) for shard, future in others]
    finally:
        _forked_work = None
    for shard, part in parts:
        for index, outcome in zip(shard, part, strict=True):
            outcomes[index] = outcome
    return tally([o for o in outcomes if o is not None])


def customer_shards(tickets: Sequence[PastTicket], count: int) -> list[list[int]]:
    """The tickets' indices in `count` parts, every ticket of a customer in the same part (by a stable
    hash of the e-mail address: the same parts on every run). Empty parts are dropped."""
    shards: list[list[int]] = [[] for _ in range(count)]
    for index, past in enumerate(tickets):
        shards[zlib.crc32(past.profile.email.lower().encode()) % count].append(index)
    return [shard for shard in shards if shard]


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _decide(indices: list[int]) -> list[Outcome]:
    if _forked_work is None:
        raise RuntimeError("a replay shard was started without its history (not forked?)")
    tickets, current, candidate = _forked_work
    return decide_both([tickets[i] for i in indices], current, candidate)


def _decide_shard(indices: list[int]) -> PackedOutcomes:
    return PackedOutcomes.pack(_decide(indices))


_VerdictKind = tuple[str, str, int, ResolutionOffer, tzinfo | None]


@dataclass(frozen=True, slots=True)
class PackedOutcomes:
    """Outcomes as a process sends them: each distinct verdict kind once, then per verdict (current,
    candidate, current, ...) its kind's index and its first-response due time in microseconds."""

    kinds: list[_VerdictKind]
    kind_of: array[int]
    due: array[int]

    @classmethod
    def pack(cls, outcomes: Sequence[Outcome]) -> PackedOutcomes:
        index: dict[_VerdictKind, int] = {}
        kind_of, due = array("l"), array("q")
        for outcome in outcomes:
            for verdict in (outcome.current, outcome.candidate):
                at = verdict.first_response_due
                kind = (verdict.segment, verdict.queue, verdict.priority, verdict.resolution, at.tzinfo)
                kind_of.append(index.setdefault(kind, len(index)))
                due.append((at - _epoch(at.tzinfo)) // _MICROSECOND)
        return cls(kinds=list(index), kind_of=kind_of, due=due)

    def unpack(self) -> list[Outcome]:
        verdicts = [self._verdict(k, d) for k, d in zip(self.kind_of, self.due, strict=True)]
        return [Outcome(current=a, candidate=b) for a, b in zip(verdicts[::2], verdicts[1::2], strict=True)]

    def _verdict(self, kind_index: int, due: int) -> Verdict:
        segment, queue, priority, resolution, zone = self.kinds[kind_index]
        at = _epoch(zone) + due * _MICROSECOND
        return Verdict(
            segment=segment,
            queue=queue,
            priority=priority,
            first_response_due=at if zone is None else at.astimezone(zone),
            resolution=resolution,
        )


def _epoch(zone: tzinfo | None) -> datetime:
    return _EPOCH if zone is not None else _EPOCH.replace(tzinfo=None)
