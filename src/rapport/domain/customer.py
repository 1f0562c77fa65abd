"""What Rapport knows about a customer before it answers: the profile a policy reasons over."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

ZERO = Decimal("0.00")
# Fulfillment statuses of an order no longer on its way: shipped in full, delivered (the carrier says
# so: Shopify's shipments, or an import), or restocked.
CLOSED_FULFILLMENT = ("fulfilled", "delivered", "restocked")
RECEIVED_FULFILLMENT = ("fulfilled", "delivered", "partial")  # something of it reached the customer


@dataclass(frozen=True, slots=True)
class LineItem:
    """One line of an order as the customer would name it."""

    title: str
    quantity: int = 1
    price: Decimal = ZERO
    sku: str | None = None


@dataclass(frozen=True, slots=True)
class OrderSummary:
    """An order as the engine and the reply need it (not the full store record)."""

    id: str
    name: str  # the merchant-facing name, e.g. "#1042"
    created_at: datetime
    total: Decimal
    currency: str
    financial_status: str  # paid, pending, refunded, partially_refunded, voided, ...
    fulfillment_status: str  # unfulfilled, partial, fulfilled, delivered, restocked, ...
    line_items: tuple[LineItem, ...] = ()
    cancelled: bool = False

    def age_days(self, now: datetime) -> int:
        """Whole days between the order and `now` (never negative)."""
        return max(0, (now - self.created_at).days)

    @property
    def is_open(self) -> bool:
        """Still on its way to the customer: not cancelled and not completely fulfilled."""
        return not self.cancelled and self.fulfillment_status not in CLOSED_FULFILLMENT


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    """The facts about one customer at a given moment, computed by the store.

    An unknown e-mail yields a guest profile (`is_known` false, zero history) so that a
    ticket from anyone can be decided; policies can treat guests explicitly.
    """

    email: str
    is_known: bool
    customer_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    locale: str | None = None
    customer_since: datetime | None = None  # account creation
    orders_count: int = 0
    total_spent: Decimal = ZERO
    spent_last_365d: Decimal = ZERO
    average_order_value: Decimal = ZERO
    first_order_at: datetime | None = None
    tenure_days: int = 0  # days since the first order (or account creation when no order)
    last_order: OrderSummary | None = None
    open_orders: int = 0
    has_active_subscription: bool = False
    subscription_next_billing_at: datetime | None = None
    loyalty_tier: str | None = None
    loyalty_points: int = 0
    tags: tuple[str, ...] = ()
    contacts_last_90d: int = 0
    refunds_last_90d: Decimal = ZERO
    credits_last_90d: Decimal = ZERO
    currency: str = "USD"
    recent_orders: tuple[OrderSummary, ...] = field(default=())  # newest first, a few at most

    @classmethod
    def guest(cls, email: str, *, currency: str = "USD") -> CustomerProfile:
        """The profile of someone the store does not know."""
        return cls(email=email, is_known=False, currency=currency)

    @property
    def display_name(self) -> str:
        """The name a reply greets the customer with."""
        return self.first_name or "there"
