"""Plain records of what the store holds, as every source (JSONL, CSV, Shopify sync, webhooks) delivers them.

Each is the full state of one external record: fields left at their default overwrite older values.
Every source translates into these and writes through the one ingestion writer
(`rapport.services.ingestion.writer.IngestionWriter`), which applies the identity rule and the signal rules.

`problem()` checks a record against what the store can hold (`rapport.domain.limits_of_store`): every
source asks it before writing, so a bad value rejects its own record, with a message naming the field.
`names` maps a field to what the source calls it (e.g. "first_name" -> "First Name" for a CSV export).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from rapport.domain import limits_of_store as limits
from rapport.domain.limits_of_store import (
    currency_problem,
    email_problem,
    fits_currency,
    fits_email,
    fits_instant,
    fits_money,
    fits_text,
    fits_whole,
    instant_problem,
    money_problem,
    text_problem,
    whole_problem,
)

ZERO = Decimal("0.00")
Names = Mapping[str, str] | None


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

    def problem(self, names: Names = None) -> str | None:
        """Why the store cannot hold this customer, or None (metafields are only read, never stored)."""
        if (
            self.external_id is not None
            and fits_text(self.external_id, limits.ID_LENGTH)
            and self.email is not None
            and fits_email(self.email)
            and fits_text(self.first_name, limits.PERSON_NAME_LENGTH)
            and fits_text(self.last_name, limits.PERSON_NAME_LENGTH)
            and fits_text(self.locale, limits.LOCALE_LENGTH)
            and fits_instant(self.created_at)
            and fits_instant(self.updated_at)
            and all(fits_text(tag, limits.TAG_LENGTH) for tag in self.tags)
            and fits_text(self.loyalty_tier, limits.LOYALTY_TIER_LENGTH)
            and fits_whole(self.loyalty_points)
        ):
            return None  # the common case, without building a message
        n = names or {}
        keyed = self.external_id is None
        return (
            text_problem(self.external_id, n.get("external_id", "id"), limits.ID_LENGTH)
            or email_problem(self.email, n.get("email", "email"), keyed=keyed)
            or (None if self.email or not keyed else "email: missing (a customer without an id needs one)")
            or text_problem(self.first_name, n.get("first_name", "first_name"), limits.PERSON_NAME_LENGTH)
            or text_problem(self.last_name, n.get("last_name", "last_name"), limits.PERSON_NAME_LENGTH)
            or text_problem(self.locale, n.get("locale", "locale"), limits.LOCALE_LENGTH)
            or instant_problem(self.created_at, n.get("created_at", "created_at"))
            or instant_problem(self.updated_at, n.get("updated_at", "updated_at"))
            or _tags_problem(self.tags, n.get("tags", "tags"))
            or text_problem(
                self.loyalty_tier, n.get("loyalty_tier", "loyalty_tier"), limits.LOYALTY_TIER_LENGTH
            )
            or whole_problem(self.loyalty_points, n.get("loyalty_points", "loyalty_points"))
        )


@dataclass(frozen=True, slots=True)
class LineItemRecord:
    title: str
    quantity: int = 1
    price: Decimal = ZERO
    sku: str | None = None
    selling_plan: str | None = None  # the selling plan's name: bought as a subscription

    def problem(self, where: str = "line_items") -> str | None:
        """Why the store cannot hold this line item, or None; fields are named `where.title` etc."""
        if (
            fits_text(self.title, limits.TITLE_LENGTH)
            and fits_whole(self.quantity)
            and fits_money(self.price)
            and fits_text(self.sku, limits.SKU_LENGTH)
            and fits_text(self.selling_plan, limits.TITLE_LENGTH)
        ):
            return None
        return (
            text_problem(self.title, f"{where}.title", limits.TITLE_LENGTH)
            or whole_problem(self.quantity, f"{where}.quantity")
            or money_problem(self.price, f"{where}.price")
            or text_problem(self.sku, f"{where}.sku", limits.SKU_LENGTH)
            or text_problem(self.selling_plan, f"{where}.selling_plan", limits.TITLE_LENGTH)
        )


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

    def problem(self) -> str | None:
        """Why the store cannot hold this order, or None (`customer_external_id` is only looked up)."""
        if (
            fits_text(self.external_id, limits.ID_LENGTH)
            and fits_text(self.name, limits.ORDER_NAME_LENGTH)
            and fits_instant(self.created_at)
            and fits_money(self.total)
            and fits_currency(self.currency)
            and fits_text(self.financial_status, limits.STATUS_LENGTH)
            and fits_text(self.fulfillment_status, limits.STATUS_LENGTH)
            and fits_instant(self.cancelled_at)
            and fits_instant(self.updated_at)
            and fits_email(self.email)
            and fits_text(self.customer_external_id, limits.ID_LENGTH)
            and fits_money(self.refunded)
            and all(item.problem() is None for item in self.line_items)
        ):
            return None  # the common case, without building a message
        return (
            text_problem(self.external_id, "id", limits.ID_LENGTH)
            or text_problem(self.name, "name", limits.ORDER_NAME_LENGTH)
            or instant_problem(self.created_at, "created_at")
            or money_problem(self.total, "total")
            or currency_problem(self.currency)
            or text_problem(self.financial_status, "financial_status", limits.STATUS_LENGTH)
            or text_problem(self.fulfillment_status, "fulfillment_status", limits.STATUS_LENGTH)
            or instant_problem(self.cancelled_at, "cancelled_at")
            or instant_problem(self.updated_at, "updated_at")
            or email_problem(self.email)
            or text_problem(self.customer_external_id, "customer_id", limits.ID_LENGTH)
            or money_problem(self.refunded, "refunded")
            or next(
                (p for i, item in enumerate(self.line_items) if (p := item.problem(f"line_items[{i}]"))), None
            )
        )


@dataclass(frozen=True, slots=True)
class SubscriptionRecord:
    external_id: str
    customer_id: int
    status: str
    currency: str
    product: str | None = None
    price: Decimal | None = None
    next_billing_at: datetime | None = None

    def problem(self) -> str | None:
        """Why the store cannot hold this subscription, or None."""
        return (
            text_problem(self.external_id, "id", limits.ID_LENGTH)
            or text_problem(self.status, "status", limits.STATUS_LENGTH)
            or currency_problem(self.currency)
            or text_problem(self.product, "product", limits.TITLE_LENGTH)
            or (None if self.price is None else money_problem(self.price, "price"))
            or instant_problem(self.next_billing_at, "next_billing_at")
        )


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

    def problem(self) -> str | None:
        """Why the store cannot hold this contact, or None."""
        return (
            text_problem(self.external_id, "id", limits.ID_LENGTH)
            or instant_problem(self.created_at, "created_at")
            or text_problem(self.intent, "intent", limits.LABEL_LENGTH)
            or text_problem(self.outcome, "outcome", limits.LABEL_LENGTH)
            or text_problem(self.granted_offer, "granted.offer", limits.LABEL_LENGTH)
            or (None if self.granted_amount is None else money_problem(self.granted_amount, "granted.amount"))
            or currency_problem(self.granted_currency, "granted.currency")
        )


def _tags_problem(tags: tuple[str, ...], field: str) -> str | None:
    for i, tag in enumerate(tags):
        problem = text_problem(tag, f"{field}[{i}]", limits.TAG_LENGTH)
        if problem is not None:
            return problem
    return None


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
