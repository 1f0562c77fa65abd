"""Replaying past tickets under two policies: what the candidate would have decided differently.

Pure: `replay` runs `decide` for each ticket at its own arrival time under the current and the candidate
policy and tallies the two sides per segment and per queue. Tickets are replayed in arrival order and
each side keeps its own ledger of what it granted, so a customer's 90-day budget fills up as that side's
offers accumulate (the profile's `refunds_last_90d` / `credits_last_90d` hold what was granted outside
the replayed history; the replay adds its own grants of the 90 days before each ticket).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from rapport.domain.customer import CustomerProfile
from rapport.domain.decision import Decision, OfferKind, ResolutionOffer
from rapport.domain.ticket import Ticket
from rapport.engine.deciding import decide
from rapport.engine.lean_rules import lean_policy
from rapport.engine.limits import GOODWILL_OFFERS, REFUND_OFFERS
from rapport.policy.schema import Policy

WINDOW = timedelta(days=90)
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class PastTicket:
    """A ticket as it arrived: the message read, the customer's facts then, the agent's handling time."""

    ticket: Ticket
    profile: CustomerProfile
    handled_minutes: float | None = None  # None: unknown (the queueing simulation samples one)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the replay keeps of a decision: where the ticket went, how fast it was due, what was offered.

    The explanation, tone, follow-ups and draft are left behind: a replay of 100,000 tickets keeps two
    verdicts each, and a sharded replay (`rapport.services.simulation`) sends them between processes."""

    segment: str
    queue: str
    priority: int
    first_response_due: datetime
    resolution: ResolutionOffer

    @classmethod
    def of(cls, decision: Decision) -> Verdict:
        return cls(
            segment=decision.segment,
            queue=decision.queue,
            priority=decision.priority,
            first_response_due=decision.first_response_due,
            resolution=decision.resolution,
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    """One past ticket decided under both policies."""

    current: Verdict
    candidate: Verdict

    @property
    def kind_changed(self) -> bool:
        return self.current.resolution.offer is not self.candidate.resolution.offer

    @property
    def amount_changed(self) -> bool:
        """The same kind of offer for a different amount or percent."""
        a, b = self.current.resolution, self.candidate.resolution
        return not self.kind_changed and (a.amount != b.amount or a.percent != b.percent)

    @property
    def changed(self) -> bool:
        """Anything the customer or the desk would notice: the offer, its amount, the segment, the queue."""
        a, b = self.current, self.candidate
        return self.kind_changed or self.amount_changed or a.segment != b.segment or a.queue != b.queue


@dataclass(slots=True)
class SideTally:
    """What one policy did to a group of tickets."""

    tickets: int = 0
    money: dict[str, Decimal] = field(default_factory=dict)  # offered, per currency
    capped: int = 0  # offers reduced or refused by a limit
    budget_exhausted: int = 0  # ... by a 90-day budget in particular
    escalated: int = 0

    def add(self, decision: Verdict) -> None:
        offer = decision.resolution
        self.tickets += 1
        if offer.amount is not None:
            self.money[offer.currency] = self.money.get(offer.currency, ZERO) + offer.amount
        if offer.capped_by is not None:
            self.capped += 1
            self.budget_exhausted += offer.capped_by.endswith("_budget_90d")
        self.escalated += offer.offer is OfferKind.ESCALATE


@dataclass(slots=True)
class GroupComparison:
    """A segment or a queue under both policies. Each side counts the tickets it puts in the group; the
    changes count the tickets the current policy puts there (what happens to today's group)."""

    current: SideTally = field(default_factory=SideTally)
    candidate: SideTally = field(default_factory=SideTally)
    changed: int = 0
    kind_changed: int = 0
    amount_changed: int = 0
    transitions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (current kind, candidate kind)

    def add_change(self, outcome: Outcome, *, kind: bool, amount: bool, changed: bool) -> None:
        """Count `outcome`'s changes (given: `Outcome`'s properties, computed once per ticket)."""
        self.changed += changed
        self.amount_changed += amount
        if kind:
            self.kind_changed += 1
            kinds = (outcome.current.resolution.offer.value, outcome.candidate.resolution.offer.value)
            self.transitions[kinds] += 1


@dataclass(frozen=True, slots=True)
class Replay:
    """Every ticket's two decisions (in the order of the history given) and the tallies."""

    outcomes: tuple[Outcome, ...]
    total: GroupComparison
    segments: dict[str, GroupComparison]
    queues: dict[str, GroupComparison]


class _Ledger:
    """What one side granted each customer, for the rolling 90-day budget."""

    def __init__(self, policy: Policy) -> None:
        self._policy = policy
        self._grants: dict[str, deque[tuple[datetime, Decimal, Decimal]]] = {}
        self._last: dict[str, tuple[CustomerProfile, Decimal, Decimal, CustomerProfile]] = {}

    def profile_at(self, profile: CustomerProfile, now: datetime) -> CustomerProfile:
        """`profile` with this side's grants of the 90 days before `now` added to its own."""
        key = profile.email.lower()
        grants = self._grants.get(key)
        if not grants:
            return profile
        while grants and grants[0][0] <= now - WINDOW:
            grants.popleft()
        refunds = sum((g[1] for g in grants), ZERO)
        credits = sum((g[2] for g in grants), ZERO)
        if not refunds and not credits:
            return profile
        # A customer writes again and again with nothing granted in between: build their profile once.
        last = self._last.get(key)
        if last is not None and last[0] is profile and last[1] == refunds and last[2] == credits:
            return last[3]
        seen = replace(
            profile,
            refunds_last_90d=max(ZERO, profile.refunds_last_90d) + refunds,
            credits_last_90d=max(ZERO, profile.credits_last_90d) + credits,
        )
        self._last[key] = (profile, refunds, credits, seen)
        return seen

    def record(self, email: str, now: datetime, decision: Decision) -> None:
        offer = decision.resolution
        if offer.amount is None:
            return
        rate = (
            Decimal(1)
            if offer.currency == self._policy.currency
            else self._policy.currency_rates.get(offer.currency, Decimal(1))
        )
        worth = offer.amount * rate
        refund = worth if offer.offer in REFUND_OFFERS else ZERO
        credit = worth if offer.offer in GOODWILL_OFFERS else ZERO
        if refund or credit:
            self._grants.setdefault(email.lower(), deque()).append((now, refund, credit))


def replay(history: Sequence[PastTicket], current: Policy, candidate: Policy) -> Replay:
    """Decide every past ticket under both policies, in arrival order, and compare them."""
    return tally(decide_both(history, current, candidate))


def decide_both(history: Sequence[PastTicket], current: Policy, candidate: Policy) -> list[Outcome]:
    """Every past ticket's verdicts under both policies, in the order of `history` (decided in arrival
    order). A customer's outcomes depend only on that customer's tickets (the 90-day ledger is per
    customer), so the history may be split by customer and the parts decided apart.

    The policies are evaluated through `lean_policy` (the same rules, each given only the facts it reads:
    the same decisions, several times faster)."""
    sides = (lean_policy(current), lean_policy(candidate))
    ledgers = (_Ledger(current), _Ledger(candidate))
    outcomes: list[Outcome | None] = [None] * len(history)
    order = sorted(range(len(history)), key=lambda i: history[i].ticket.received_at)
    for index in order:
        past = history[index]
        now = past.ticket.received_at
        decisions = []
        for policy, ledger in zip(sides, ledgers, strict=True):
            decision = decide(past.ticket, ledger.profile_at(past.profile, now), policy, now)
            ledger.record(past.profile.email, now, decision)
            decisions.append(Verdict.of(decision))
        outcomes[index] = Outcome(current=decisions[0], candidate=decisions[1])
    return [o for o in outcomes if o is not None]


def tally(outcomes: Sequence[Outcome]) -> Replay:
    """The outcomes counted per segment and per queue, each side by its own grouping."""
    total = GroupComparison()
    segments: dict[str, GroupComparison] = {}
    queues: dict[str, GroupComparison] = {}
    for outcome in outcomes:
        now, then = outcome.current, outcome.candidate
        kind = outcome.kind_changed
        amount = not kind and outcome.amount_changed
        changed = kind or amount or now.segment != then.segment or now.queue != then.queue
        for groups, key_now, key_then in (
            (segments, now.segment, then.segment),
            (queues, now.queue, then.queue),
        ):
            group = groups.get(key_now) or groups.setdefault(key_now, GroupComparison())
            group.current.add(now)
            group.add_change(outcome, kind=kind, amount=amount, changed=changed)
            (groups.get(key_then) or groups.setdefault(key_then, GroupComparison())).candidate.add(then)
        total.current.add(now)
        total.candidate.add(then)
        total.add_change(outcome, kind=kind, amount=amount, changed=changed)
    return Replay(outcomes=tuple(outcomes), total=total, segments=segments, queues=queues)
