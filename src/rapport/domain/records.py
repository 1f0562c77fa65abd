"""Plain records of what the store holds, as every source (JSONL, CSV, Shopify sync, webhooks) delivers them.

Each is the full state of one external record: fields left at their default overwrite older values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    external_id: str
    email: str | None
    first_name: str | None = None
    last_name: str | None = None
    locale: str | None = None
    created_at: datetime | None = None
    tags: tuple[str, ...] = ()
    loyalty_tier: str | None = None
    loyalty_points: int = 0
    accepts_marketing: bool = False
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LineItemRecord:
    title: str
    quantity: int = 1
    price: Decimal = Decimal("0.00")
    sku: str | None = None


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """An order; `customer_id` is the store's row id of the customer (None for a guest checkout)."""

    external_id: str
    customer_id: int | None
    name: str
    created_at: datetime
    total: Decimal
    currency: str
    financial_status: str = "paid"
    fulfillment_status: str = "unfulfilled"
    cancelled_at: datetime | None = None
    updated_at: datetime | None = None
    line_items: tuple[LineItemRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class SubscriptionRecord:
    external_id: str
    customer_id: int
    status: str
    currency: str
    product: str | None = None
    price: Decimal | None = None
    next_billing_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ContactRecord:
    """A past support contact and what it granted (offer names are `OfferKind` values)."""

    external_id: str
    customer_id: int
    created_at: datetime
    intent: str
    outcome: str | None = None
    granted_offer: str | None = None
    granted_amount: Decimal | None = None
    granted_currency: str | None = None


@dataclass(frozen=True, slots=True)
class UpsertOutcome:
    """Row ids by external id for every record written, and which external ids already existed."""

    ids: dict[str, int]
    existing: frozenset[str]

    @property
    def inserted(self) -> int:
        return len(self.ids.keys() - self.existing)

    @property
    def updated(self) -> int:
        return len(self.ids.keys() & self.existing)
