"""Writes Shopify records into the store: newest wins, subscriptions and loyalty derived on the way."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from rapport.connectors.shopify.records import ShopifyCustomer, ShopifyOrder
from rapport.connectors.shopify.signals import SignalRules
from rapport.store import records as store
from rapport.store.models import Customer, Order
from rapport.store.unit_of_work import UnitOfWork

R = TypeVar("R")

# An order bought on a selling plan this recently means the subscription is still running.
SUBSCRIPTION_WINDOW = timedelta(days=62)


@dataclass
class WriteCounts:
    customers: int = 0
    orders: int = 0
    stale: int = 0  # records older than what the store holds, left alone
    orphans: list[str] = field(default_factory=list)  # orders whose customer is unknown (kept as guests)


class StoreWriter:
    """Upserts batches of Shopify records through one unit of work (the caller commits)."""

    def __init__(self, uow: UnitOfWork, *, merchant_id: int, rules: SignalRules, now: datetime) -> None:
        self.uow = uow
        self.merchant_id = merchant_id
        self.rules = rules
        self.now = now
        self.counts = WriteCounts()
        self.customer_ids: dict[str, int] = {}  # Shopify customer id -> store row id, for this run

    def customers(self, batch: Sequence[ShopifyCustomer], *, only_newer: bool = True) -> dict[str, int]:
        """Upsert customers (keyed by Shopify id; one without an id is keyed by e-mail)."""
        items = [(c.external_id or _email_key(c.email), c.updated_at, c) for c in batch]
        fresh = self._newer(Customer, items) if only_newer else [(k, c) for k, _, c in items]
        owners = self.uow.customers.owners_of_emails(
            merchant_id=self.merchant_id, emails=[c.email.strip().lower() for _, c in fresh if c.email]
        )
        rows: list[store.CustomerRecord] = []
        aliases: dict[str, str] = {}
        for key, c in fresh:
            email = c.email.strip().lower() if c.email else None
            # An e-mail already owned by another row (say, imported from CSV first) is the same person.
            stored_key = owners.get(email, key) if email else key
            aliases[key] = stored_key
            rows.append(self._customer_row(stored_key, c))
        outcome = self.uow.customers.upsert_many(merchant_id=self.merchant_id, records=rows)
        self.counts.customers += len(outcome.ids)
        for key, stored_key in aliases.items():
            self.customer_ids[key] = outcome.ids[stored_key]
        self._tag_subscriptions([(outcome.ids[aliases[k]], c) for k, c in fresh])
        return self.customer_ids

    def orders(self, batch: Sequence[ShopifyOrder], *, only_newer: bool = True) -> int:
        """Upsert orders with their line items; an order older than the stored one is skipped."""
        if only_newer:
            fresh = [o for _, o in self._newer(Order, [(o.external_id, o.updated_at, o) for o in batch])]
        else:
            fresh = list(batch)
        owner_ids = self._owner_ids(fresh)
        rows = [
            store.OrderRecord(
                external_id=o.external_id,
                customer_id=owner_ids.get(o.external_id),
                name=o.name,
                created_at=o.created_at,
                total=o.total,
                currency=o.currency,
                financial_status=o.financial_status,
                fulfillment_status=o.fulfillment_status,
                cancelled_at=o.cancelled_at,
                updated_at=o.updated_at,
                line_items=tuple(
                    store.LineItemRecord(li.title, li.quantity, li.price, li.sku) for li in o.line_items
                ),
            )
            for o in fresh
        ]
        outcome = self.uow.orders.upsert_many(merchant_id=self.merchant_id, records=rows)
        self.counts.orders += len(outcome.ids)
        self._plan_subscriptions([(owner_ids[o.external_id], o) for o in fresh if o.external_id in owner_ids])
        return len(outcome.ids)

    # -- helpers ----------------------------------------------------------------------------------

    def _newer(self, model: type, items: list[tuple[str, datetime | None, R]]) -> list[tuple[str, R]]:
        stored = self.uow.shopify.updated_at_of(
            "customers" if model is Customer else "orders",
            merchant_id=self.merchant_id,
            external_ids=[k for k, _, _ in items],
        )
        fresh: list[tuple[str, R]] = []
        for key, updated_at, record in items:
            held = stored.get(key)
            if held is not None and updated_at is not None and updated_at < held:
                self.counts.stale += 1
                continue
            fresh.append((key, record))
        return fresh

    def _customer_row(self, key: str, c: ShopifyCustomer) -> store.CustomerRecord:
        return store.CustomerRecord(
            external_id=key,
            email=c.email,
            first_name=c.first_name,
            last_name=c.last_name,
            locale=c.locale,
            created_at=c.created_at,
            tags=c.tags,
            loyalty_tier=self.rules.loyalty_tier(c.tags, c.metafields),
            accepts_marketing=c.accepts_marketing,
            updated_at=c.updated_at,
        )

    def _owner_ids(self, orders: list[ShopifyOrder]) -> dict[str, int]:
        wanted = {o.customer_external_id for o in orders if o.customer_external_id} - self.customer_ids.keys()
        if wanted:
            found = self.uow.customers.ids_by_external_id(merchant_id=self.merchant_id, external_ids=wanted)
            self.customer_ids.update(found)
        owners: dict[str, int] = {}
        for o in orders:
            row = self.customer_ids.get(o.customer_external_id or "")
            if row is None and o.email:
                row = self.uow.customers.id_for_email(merchant_id=self.merchant_id, email=o.email)
            if row is None:
                self.counts.orphans.append(o.name)
            else:
                owners[o.external_id] = row
        return owners

    def _tag_subscriptions(self, customers: list[tuple[int, ShopifyCustomer]]) -> None:
        records = []
        for row_id, c in customers:
            active = self.rules.subscription_from_tags(c.tags)
            if active is not None:
                records.append(
                    store.SubscriptionRecord(
                        external_id=f"shopify-tags:{row_id}",
                        customer_id=row_id,
                        status="active" if active else "cancelled",
                        currency="USD",
                        product="(customer tags)",
                    )
                )
        if records:
            self.uow.subscriptions.upsert_many(merchant_id=self.merchant_id, records=records)

    def _plan_subscriptions(self, orders: list[tuple[int, ShopifyOrder]]) -> None:
        if not self.rules.selling_plans_mean_subscription:
            return
        latest: dict[int, ShopifyOrder] = {}
        for row_id, o in orders:
            recent = o.cancelled_at is None and self.now - o.created_at <= SUBSCRIPTION_WINDOW
            if (
                o.has_selling_plan
                and recent
                and (row_id not in latest or o.created_at > latest[row_id].created_at)
            ):
                latest[row_id] = o
        records = []
        for row_id, o in latest.items():
            line = next(li for li in o.line_items if li.selling_plan)
            records.append(
                store.SubscriptionRecord(
                    external_id=f"shopify-plan:{row_id}",
                    customer_id=row_id,
                    status="active",
                    currency=o.currency,
                    product=f"{line.title} ({line.selling_plan})",
                    price=line.price,
                )
            )
        if records:
            self.uow.subscriptions.upsert_many(merchant_id=self.merchant_id, records=records)


def _email_key(email: str | None) -> str:
    return f"email:{(email or '').strip().lower()}"
