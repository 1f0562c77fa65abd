"""How many of a merchant's customers each policy segment holds (`rapport segments count`, the workspace's
policy page).

Each customer is segmented as of `now` by the policy's segment rules (first match wins), as if they wrote
a message about no particular order: `order.*` and `ticket.*` have the values of `NO_ORDER` below.

Two ways, same answer (a property test checks it):
- **SQL** (`method == "sql"`): every rule is translated (`policy.cel_subset`) and the store counts all
  customers in one `GROUP BY` over per-customer aggregates (`store.repositories.segment_counts`).
- **Python** (`method == "python"`): when a rule uses a construct outside that subset, every customer's
  profile is read in pages of `batch` e-mails, each page in its own read transaction, and run through
  the engine. This is linear in the customers (about a second for 3,000 on SQLite, hours for a million),
  so each refused rule is reported as a warning naming the segment and the construct.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, cast

from rapport.domain.customer import CustomerProfile
from rapport.engine.facts import customer_facts, order_facts
from rapport.engine.segmenting import choose_segment
from rapport.policy import Policy
from rapport.policy.cel_subset import Node, Untranslatable, parse_rule
from rapport.services.ports import UnitOfWorkFactory

BATCH = 500

# A message about no order, of no particular kind: segment rules that read `order.*` or `ticket.*` see
# these values (the zero values of docs/policy.md, an `other` e-mail read with full confidence).
NO_ORDER_TICKET: dict[str, Any] = {
    "intent": "other",
    "urgency": "normal",
    "signals": [],
    "channel": "email",
    "message_length": 0,
    "confidence": 1.0,
    "amount_mentioned": 0.0,
    "item_mentioned": "",
    "size_mentioned": "",
    "language": "",
}


class CustomerEmails(Protocol):
    """The store's customer listing (`store.repositories.customers.CustomerRepository`)."""

    def emails_page(self, *, merchant_id: int, after: str | None, limit: int) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class SegmentCount:
    """One segment of the policy, its rule, and how many customers it holds now."""

    name: str
    rule: str
    customers: int


@dataclass(frozen=True, slots=True)
class SegmentCounts:
    """Every segment in policy order, how they were counted, and why not in SQL when they were not."""

    segments: list[SegmentCount]
    method: Literal["sql", "python"]
    warnings: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return sum(segment.customers for segment in self.segments)


def no_order_facts(now: datetime) -> dict[str, dict[str, Any]]:
    """The `order` and `ticket` facts of a count: a message about no particular order."""
    return {"order": order_facts(None, now), "ticket": dict(NO_ORDER_TICKET)}


def translated_rules(policy: Policy, now: datetime) -> tuple[list[tuple[str, Node]], list[str]]:
    """Each segment's rule as a tree SQL can count, or, for those that cannot be, one warning each."""
    constants = no_order_facts(now)
    rules: list[tuple[str, Node]] = []
    warnings: list[str] = []
    for index, segment in enumerate(policy.segments):
        try:
            rules.append((segment.name, parse_rule(segment.when.source, constants)))
        except Untranslatable as exc:
            warnings.append(
                f"segments[{index}] {segment.name}: {exc.construct} cannot be counted in SQL "
                f"(rule: {segment.when.source}); counting every customer's profile in Python instead"
            )
    return rules, warnings


def count_segments(
    uow_factory: UnitOfWorkFactory, *, merchant_id: int, policy: Policy, now: datetime, batch: int = BATCH
) -> SegmentCounts:
    """Every segment of `policy`, in policy order, with the number of the merchant's customers in it."""
    rules, warnings = translated_rules(policy, now)
    if warnings:
        counts = _count_in_python(uow_factory, merchant_id=merchant_id, policy=policy, now=now, batch=batch)
        return SegmentCounts(_in_policy_order(policy, counts), "python", tuple(warnings))
    with uow_factory() as uow:
        counts = uow.segment_counts.count(
            merchant_id=merchant_id, rules=rules, otherwise=policy.segments[-1].name, now=now
        )
    return SegmentCounts(_in_policy_order(policy, counts), "sql")


def segment_counts(
    uow_factory: UnitOfWorkFactory, *, merchant_id: int, policy: Policy, now: datetime, batch: int = BATCH
) -> list[SegmentCount]:
    """Every segment of `policy`, in policy order, with its number of customers (SQL when it can)."""
    return count_segments(uow_factory, merchant_id=merchant_id, policy=policy, now=now, batch=batch).segments


@dataclass(frozen=True, slots=True)
class SegmentSizes:
    """The store's customers per segment under two policies: each segment name of either policy (the
    current one's first, in its order), with its size under each (None: that policy has no such segment)."""

    rows: list[tuple[str, int | None, int | None]]
    warnings: tuple[str, ...] = ()


def compare_segment_sizes(
    uow_factory: UnitOfWorkFactory, *, merchant_id: int, current: Policy, candidate: Policy, now: datetime
) -> SegmentSizes:
    """How the merchant's whole customer base (not only those with tickets) would be segmented by each
    policy now: what `rapport simulate --segment-sizes` shows beside the replayed tickets."""
    before = count_segments(uow_factory, merchant_id=merchant_id, policy=current, now=now)
    after = count_segments(uow_factory, merchant_id=merchant_id, policy=candidate, now=now)
    sizes = ({s.name: s.customers for s in before.segments}, {s.name: s.customers for s in after.segments})
    names = dict.fromkeys([*sizes[0], *sizes[1]])
    return SegmentSizes(
        rows=[(name, sizes[0].get(name), sizes[1].get(name)) for name in names],
        warnings=tuple(dict.fromkeys([*before.warnings, *after.warnings])),
    )


def _in_policy_order(policy: Policy, counts: dict[str, int]) -> list[SegmentCount]:
    return [SegmentCount(s.name, s.when.source, counts.get(s.name, 0)) for s in policy.segments]


def _facts(profile: CustomerProfile, now: datetime) -> dict[str, Any]:
    return {"customer": customer_facts(profile), **no_order_facts(now)}


def _count_in_python(
    uow_factory: UnitOfWorkFactory, *, merchant_id: int, policy: Policy, now: datetime, batch: int
) -> dict[str, int]:
    counts = {segment.name: 0 for segment in policy.segments}
    after: str | None = None
    while True:
        with uow_factory() as uow:
            # The port's `customers` is typed by what ingestion writes; the listing is the same repository.
            listing = cast(CustomerEmails, uow.customers)
            emails = listing.emails_page(merchant_id=merchant_id, after=after, limit=batch)
            for email in emails:
                profile = uow.profiles.get_profile(merchant_id=merchant_id, email=email, now=now)
                counts[choose_segment(policy, _facts(profile, now)).name] += 1
        if len(emails) < batch:
            break
        after = emails[-1]
    return counts
