"""The one writer every source goes through: JSONL, Shopify CSV exports, Shopify sync and webhooks.

**Identity rule.** A customer record is matched to a stored customer by its external id; a record whose
external id is new (or that has none) is matched by e-mail, case-insensitively: an e-mail already owned by
another customer is the same person, and the record updates that customer (which keeps its external id).
A record whose external id names one customer and whose e-mail belongs to another is refused: the two
cannot both be that person. A record matched by neither is a new customer (keyed `email:<e-mail>` when it
has no external id).

**Validation.** Every record is checked against what the store can hold (`record.problem()`, the limits
of `rapport.domain.limits_of_store`) before anything is written: a customer the store cannot hold is
refused with the reason (`CustomerWrite.refused`), an order is left out and listed in `counts.refused`,
so one bad record never fails the batch it came in.

**Signals.** With `SignalRules`, a customer's loyalty tier (when the record does not state one) comes from
its tags or metafields, its tags may mean an active or cancelled subscription (`shopify-tags:<id>`), and a
recent order on a selling plan an active one (`shopify-plan:<id>`).

**Follow-ups.** An order written here that a resolved ticket's pending follow-ups are about moves them
when it becomes delivered and cancels them when it becomes cancelled or refunded in full
(`rapport.services.follow_ups.order_changes`), in the same transaction. Re-timing needs the policy's
rules: the merchant's stored policy, else the configured `policy` the writer is given. The flat bulk form
(`bulk_orders`, CSV exports) does not: it is meant for an initial load.

The writer works inside the caller's unit of work and never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from rapport.domain import limits_of_store as limits
from rapport.domain.records import (
    BulkLine,
    BulkOrder,
    CustomerRecord,
    OrderRecord,
    SubscriptionRecord,
    UpsertOutcome,
)
from rapport.domain.signals import SignalRules
from rapport.policy.schema import Policy
from rapport.services.follow_ups.order_changes import follow_orders
from rapport.services.ingestion.ports import IngestionRepositories

# An order bought on a selling plan this recently means the subscription is still running.
SUBSCRIPTION_WINDOW = timedelta(days=62)

Change = Literal["inserted", "updated"]


def email_key(email: str | None) -> str:
    """The external id of a customer known by e-mail only."""
    return f"email:{normal_email(email)}"


def normal_email(email: str | None) -> str:
    return (email or "").strip().lower()


def _identity(
    ext: str | None, email: str | None, taken: set[str], owners: dict[str, str]
) -> str | tuple[str]:
    """The external id a record is stored under (the identity rule), or (why it is refused,)."""
    owner = owners.get(email) if email else None
    if ext and ext in taken:
        if owner is not None and owner != ext:
            return (f"email: {email} already belongs to customer {owner!r}",)
        return ext
    if owner is not None:
        return owner  # the same person, known under another id: merged into that customer
    return ext or email_key(email)


@dataclass
class CustomerWrite:
    """What `IngestionWriter.customers` did, record by record (index into the batch)."""

    row_ids: dict[int, int] = field(default_factory=dict)  # record index -> customer row id
    changes: list[tuple[int, Change]] = field(default_factory=list)  # record index, in batch order
    refused: list[tuple[int, str]] = field(default_factory=list)  # record index, why
    stale: int = 0


@dataclass
class WriteCounts:
    customers: int = 0
    orders: int = 0
    stale: int = 0  # records older than what the store holds, left alone
    orphans: list[str] = field(default_factory=list)  # orders whose customer is unknown (kept as guests)
    refused: list[str] = field(default_factory=list)  # "order NAME: why", for orders the store cannot hold
    follow_ups_moved: int = 0  # re-timed: their order was delivered
    follow_ups_cancelled: int = 0  # their order was cancelled or refunded in full
    follow_ups_not_retimed: int = 0  # their order was delivered, but no policy was at hand to re-time by


class IngestionWriter:
    """Upserts batches of records through one unit of work (the caller commits)."""

    def __init__(
        self,
        uow: IngestionRepositories,
        *,
        merchant_id: int,
        currency: str,
        now: datetime,
        rules: SignalRules | None = None,
        policy: Policy | None = None,
    ) -> None:
        self.uow = uow
        self.merchant_id = merchant_id
        self.currency = currency
        self.now = now
        self.rules = rules  # None: the source states loyalty and subscriptions itself (JSONL)
        self.policy = policy  # the configured policy: its follow-up rules, when none is stored
        self.counts = WriteCounts()
        self.customer_ids: dict[str, int] = {}  # external id (as the source says it) -> row id, this run

    # -- customers ---------------------------------------------------------------------------------

    def customers(
        self, batch: Sequence[CustomerRecord], *, only_newer: bool = True, checked: bool = False
    ) -> CustomerWrite:
        """Upsert customers by the identity rule; with `only_newer`, one older than the stored is skipped.

        `checked`: the caller has asked every record's `problem()` already (the JSONL import does, to
        report the line)."""
        result = CustomerWrite()
        valid: list[tuple[int, CustomerRecord]] = []
        for index, record in enumerate(batch):
            problem = None if checked else record.problem()
            if problem is None:
                valid.append((index, record))
            else:
                result.refused.append((index, problem))
        if not valid:
            return result
        merchant_id = self.merchant_id
        ids = {r.external_id for _, r in valid if r.external_id}
        known = self.uow.customers.ids_by_external_id(merchant_id=merchant_id, external_ids=ids)
        emails = {normal_email(r.email) for _, r in valid if r.email}
        owners = self.uow.customers.owners_of_emails(merchant_id=merchant_id, emails=emails)
        keyed: list[tuple[int, str, CustomerRecord]] = []
        taken = set(known)  # external ids stored, or written by this batch
        for index, record in valid:
            email = normal_email(record.email) or None
            key = _identity(record.external_id, email, taken, owners)
            if isinstance(key, tuple):
                result.refused.append((index, key[0]))
                continue
            if email:
                owners[email] = key  # later records of the batch see this one's e-mail
            taken.add(key)
            keyed.append((index, key, record))
        if only_newer:
            keyed = self._newer_customers(keyed, result)
        rows = [self._customer_row(key, record) for _, key, record in keyed]
        outcome = self.uow.customers.upsert_many(merchant_id=merchant_id, records=rows)
        seen = set(outcome.existing)
        for index, key, record in keyed:
            row_id = outcome.ids[key]
            result.row_ids[index] = row_id
            result.changes.append((index, "updated" if key in seen else "inserted"))
            seen.add(key)
            self.customer_ids[record.external_id or key] = row_id
        self.counts.customers += len(outcome.ids)
        if self.rules is not None:
            self._tag_subscriptions([(outcome.ids[key], record) for _, key, record in keyed])
        return result

    def _newer_customers(
        self, keyed: list[tuple[int, str, CustomerRecord]], result: CustomerWrite
    ) -> list[tuple[int, str, CustomerRecord]]:
        stored = self.uow.shopify.updated_at_of(
            "customers", merchant_id=self.merchant_id, external_ids=[k for _, k, _ in keyed]
        )
        fresh = []
        for item in keyed:
            held, updated_at = stored.get(item[1]), item[2].updated_at
            if held is not None and updated_at is not None and updated_at < held:
                result.stale += 1
                self.counts.stale += 1
                continue
            fresh.append(item)
        return fresh

    def _customer_row(self, key: str, r: CustomerRecord) -> CustomerRecord:
        tier = r.loyalty_tier
        if tier is None and self.rules is not None:
            tier = self.rules.loyalty_tier(r.tags, r.metafields)
            if limits.text_problem(tier, "loyalty_tier", limits.LOYALTY_TIER_LENGTH):
                tier = None  # a metafield value the store cannot hold as a tier names no tier
        if key == r.external_id and tier == r.loyalty_tier:
            return r
        return replace(r, external_id=key, loyalty_tier=tier)

    def _tag_subscriptions(self, customers: list[tuple[int, CustomerRecord]]) -> None:
        assert self.rules is not None
        records = []
        for row_id, c in customers:
            active = self.rules.subscription_from_tags(c.tags)
            if active is not None:
                records.append(
                    SubscriptionRecord(
                        external_id=f"shopify-tags:{row_id}",
                        customer_id=row_id,
                        status="active" if active else "cancelled",
                        currency=self.currency,
                        product="(customer tags)",
                    )
                )
        if records:
            self.uow.subscriptions.upsert_many(merchant_id=self.merchant_id, records=records)

    # -- orders ------------------------------------------------------------------------------------

    def orders(
        self, batch: Sequence[OrderRecord], *, only_newer: bool = True, checked: bool = False
    ) -> UpsertOutcome:
        """Upsert orders with their line items (replaced); one older than the stored one is skipped.

        An order without `customer_id` is given its customer by external id, then by e-mail; an order the
        store cannot hold is left out and listed in `counts.refused` (`checked`: the caller has asked
        every record's `problem()` already, as the JSONL import does to report the line)."""
        if not checked:
            batch = self._holdable(batch)
        fresh = list(batch)
        if only_newer and fresh:
            stored = self.uow.shopify.updated_at_of(
                "orders", merchant_id=self.merchant_id, external_ids=[o.external_id for o in fresh]
            )
            fresh = []
            for o in batch:
                held = stored.get(o.external_id)
                if held is not None and o.updated_at is not None and o.updated_at < held:
                    self.counts.stale += 1
                    continue
                fresh.append(o)
        if any(o.customer_id is None for o in fresh):
            fresh = self._with_owners(fresh)
        self._follow_orders(fresh)
        outcome = self.uow.bulk_orders.upsert_many(merchant_id=self.merchant_id, records=fresh)
        self.counts.orders += len(outcome.ids)
        if self.rules is not None and self.rules.selling_plans_mean_subscription:
            self._plan_subscriptions(fresh)
        return outcome

    def _follow_orders(self, orders: list[OrderRecord]) -> None:
        """Re-time or cancel the follow-ups of these orders; it reads what the store held of them, so it
        runs before their upsert (in its transaction: a batch that fails changes no follow-up)."""
        changed = follow_orders(
            self.uow, merchant_id=self.merchant_id, orders=orders, now=self.now, policy=self.policy
        )
        self.counts.follow_ups_moved += changed.moved
        self.counts.follow_ups_cancelled += changed.cancelled
        self.counts.follow_ups_not_retimed += changed.not_retimed

    def _holdable(self, batch: Sequence[OrderRecord]) -> list[OrderRecord]:
        holdable = []
        for o in batch:
            problem = o.problem()
            if problem is None:
                holdable.append(o)
            else:
                self.counts.refused.append(f"order {o.name or o.external_id}: {problem}")
        return holdable

    def bulk_orders(self, orders: Sequence[BulkOrder], lines: Sequence[BulkLine]) -> int:
        """The flat form (CSV exports): customers found by e-mail, or created as `email:<e-mail>` stubs.

        Meant for an initial load: pending follow-ups are not re-timed or cancelled here."""
        written = self.uow.bulk_orders.load(merchant_id=self.merchant_id, orders=orders, lines=lines)
        self.counts.orders += written
        return written

    def _with_owners(self, orders: list[OrderRecord]) -> list[OrderRecord]:
        wanted = {o.customer_external_id for o in orders if o.customer_external_id} - self.customer_ids.keys()
        if wanted:
            found = self.uow.customers.ids_by_external_id(merchant_id=self.merchant_id, external_ids=wanted)
            self.customer_ids.update(found)
        by_email: dict[str, int] = {}
        unmatched = {
            normal_email(o.email)
            for o in orders
            if o.customer_id is None and o.email and (o.customer_external_id or "") not in self.customer_ids
        }
        if unmatched:
            by_email = self.uow.customers.ids_for_emails(merchant_id=self.merchant_id, emails=unmatched)
        owned = []
        for o in orders:
            if o.customer_id is not None:
                owned.append(o)
                continue
            row = self.customer_ids.get(o.customer_external_id or "")
            if row is None and o.email:
                row = by_email.get(normal_email(o.email))
            if row is None:
                self.counts.orphans.append(o.name)
                owned.append(o)
            else:
                owned.append(replace(o, customer_id=row))
        return owned

    def _plan_subscriptions(self, orders: list[OrderRecord]) -> None:
        latest: dict[int, OrderRecord] = {}
        for o in orders:
            row_id = o.customer_id
            if row_id is None or not o.has_selling_plan or o.cancelled_at is not None:
                continue
            if self.now - o.created_at <= SUBSCRIPTION_WINDOW and (
                row_id not in latest or o.created_at > latest[row_id].created_at
            ):
                latest[row_id] = o
        records = []
        for row_id, o in latest.items():
            line = next(li for li in o.line_items if li.selling_plan)
            records.append(
                SubscriptionRecord(
                    external_id=f"shopify-plan:{row_id}",
                    customer_id=row_id,
                    status="active",
                    currency=o.currency,
                    product=f"{line.title} ({line.selling_plan})"[: limits.TITLE_LENGTH],
                    price=line.price,
                )
            )
        if records:
            self.uow.subscriptions.upsert_many(merchant_id=self.merchant_id, records=records)
