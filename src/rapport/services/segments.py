"""How many of a merchant's customers each policy segment holds, for the workspace's policy page.

Each customer's profile is computed as of `now` and run through the policy's segment rules (first
match wins), as if the customer wrote a message about no particular order. Profiles are read in pages
of `batch` e-mails, each page in its own read transaction.

Scale: one profile is a handful of indexed queries, so this is linear in the customers (about a
second for the demo's ~3,000 on SQLite). It suits a store of a few thousand customers; a large one
would want the counts computed in the background and kept, not on each page view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from rapport.domain.customer import CustomerProfile
from rapport.engine.facts import customer_facts, order_facts
from rapport.engine.segmenting import choose_segment
from rapport.policy import Policy
from rapport.services.ports import UnitOfWorkFactory

BATCH = 500


class CustomerEmails(Protocol):
    """The store's customer listing (`store.repositories.customers.CustomerRepository`)."""

    def emails_page(self, *, merchant_id: int, after: str | None, limit: int) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class SegmentCount:
    """One segment of the policy, its rule, and how many customers it holds now."""

    name: str
    rule: str
    customers: int


def _facts(profile: CustomerProfile, now: datetime) -> dict[str, Any]:
    # A message about no order, of no particular kind: segment rules that read `order.*` or `ticket.*`
    # see their zero values here.
    return {
        "customer": customer_facts(profile),
        "order": order_facts(None, now),
        "ticket": {
            "intent": "other",
            "urgency": "normal",
            "signals": [],
            "channel": "email",
            "message_length": 0,
            "confidence": 1.0,
        },
    }


def segment_counts(
    uow_factory: UnitOfWorkFactory, *, merchant_id: int, policy: Policy, now: datetime, batch: int = BATCH
) -> list[SegmentCount]:
    """Every segment of `policy`, in policy order, with the number of the merchant's customers in it."""
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
    return [SegmentCount(s.name, s.when.source, counts[s.name]) for s in policy.segments]
