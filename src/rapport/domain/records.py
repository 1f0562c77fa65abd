"""Plain records of what the store holds, as every source (JSONL, CSV, Shopify sync, webhooks) delivers them.

Each is the full state of one external record: fields left at their default overwrite older values.
Every source translates into these and writes through the one ingestion writer
(`rapport.services.ingestion.writer.IngestionWriter`), which applies the identity rule and the signal rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """A customer. `external_id` None (e.g. Shopify's older customer export) means: known by e-mail only.

    `loyalty_tier` None lets the signal rules derive it from `tags` and `metafields`
    (("loyalty.tier", "gold") pairs).
    """

    external_id: str | None
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
    metafields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class LineItemRecord:
    title: str
    quantity: int = 1
    price: Decimal = ZERO
    sku: str | None = None
    selling_plan: str | None = None  # the selling plan's name: bought as a subscription


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """An order. `customer_id` is the store's row id of the customer when the source knows it (JSONL);
    otherwise the writer finds the customer by `customer_external_id`, then by `email`, and an order
    whose customer is found by neither is kept as a guest order (customer_id None)."""

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
    customer_external_id: str | None = None
    email: str | None = None
    refunded: Decimal = ZERO

    @property
    def has_selling_plan(self) -> bool:
        return any(li.selling_plan for li in self.line_items)


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


# -- The flat form of orders, for bulk loads (Shopify's orders export) ------------------------------
#
# The same order as `OrderRecord`, as a tuple whose times and amounts are already converted for the
# database (`StoredValues`, given by the store). At tens of thousands of rows per second, building a
# dataclass and converting per row was most of the cost; these go to the driver as they are.


class StoredValues(Protocol):
    """Converts values for the database exactly as the store's order columns do (from the store)."""

    def time(self, value: datetime | None) -> Any: ...
    def money(self, value: Decimal) -> Any: ...


class BulkOrder(NamedTuple):
    """One order as bulk-loaded; fields in the order of the INSERT's parameters.

    The customer is found by `email` (lower-case), or created as a stub with that e-mail."""

    external_id: str
    email: str | None
    name: str
    created_at: Any  # StoredValues.time
    total: Any  # StoredValues.money
    currency: str
    financial_status: str
    fulfillment_status: str
    cancelled_at: Any


# An order's line items: order external id, position (0, 1, ... consecutive), title, quantity,
# price (StoredValues.money), sku.
BulkLine = tuple[str, int, str, int, Any, "str | None"]
