"""The customer card (`rapport profile --json`, `GET /v1/customers/{email}`) and the orders in it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from rapport.domain import CustomerProfile, LineItem, OrderSummary
from rapport.schemas.values import Instant, Money

OUT = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)


class LineItemOut(BaseModel):
    model_config = OUT

    title: str
    quantity: int
    price: Money

    @classmethod
    def from_domain(cls, item: LineItem) -> LineItemOut:
        return cls(title=item.title, quantity=item.quantity, price=item.price)


class OrderOut(BaseModel):
    """An order as the customer card and the triage JSON show it."""

    model_config = OUT

    id: str
    name: str
    created_at: Instant
    total: Money
    currency: str
    financial_status: str
    fulfillment_status: str
    line_items: list[LineItemOut]

    @classmethod
    def from_domain(cls, order: OrderSummary) -> OrderOut:
        return cls(
            id=order.id,
            name=order.name,
            created_at=order.created_at,
            total=order.total,
            currency=order.currency,
            financial_status=order.financial_status,
            fulfillment_status=order.fulfillment_status,
            line_items=[LineItemOut.from_domain(li) for li in order.line_items],
        )


class CustomerRef(BaseModel):
    """Who a ticket is from: `known` is false for a guest (an e-mail the store does not know)."""

    model_config = OUT

    id: str | None
    email: str
    known: bool

    @classmethod
    def from_domain(cls, profile: CustomerProfile) -> CustomerRef:
        return cls(id=profile.customer_id, email=profile.email, known=profile.is_known)


class CustomerOut(CustomerRef):
    """The customer card: what Rapport knows before answering."""

    first_name: str | None
    last_name: str | None
    customer_since: Instant | None
    orders_count: int
    total_spent: Money
    spent_last_365d: Money
    average_order_value: Money
    first_order_at: Instant | None
    tenure_days: int
    last_order: OrderOut | None
    open_orders: int
    has_active_subscription: bool
    subscription_next_billing_at: Instant | None
    loyalty_tier: str | None
    loyalty_points: int
    tags: list[str]
    contacts_last_90d: int
    refunds_last_90d: Money
    credits_last_90d: Money
    currency: str

    @classmethod
    def from_domain(cls, profile: CustomerProfile) -> CustomerOut:
        p = profile
        return cls(
            id=p.customer_id,
            email=p.email,
            known=p.is_known,
            first_name=p.first_name,
            last_name=p.last_name,
            customer_since=p.customer_since,
            orders_count=p.orders_count,
            total_spent=p.total_spent,
            spent_last_365d=p.spent_last_365d,
            average_order_value=p.average_order_value,
            first_order_at=p.first_order_at,
            tenure_days=p.tenure_days,
            last_order=None if p.last_order is None else OrderOut.from_domain(p.last_order),
            open_orders=p.open_orders,
            has_active_subscription=p.has_active_subscription,
            subscription_next_billing_at=p.subscription_next_billing_at,
            loyalty_tier=p.loyalty_tier,
            loyalty_points=p.loyalty_points,
            tags=list(p.tags),
            contacts_last_90d=p.contacts_last_90d,
            refunds_last_90d=p.refunds_last_90d,
            credits_last_90d=p.credits_last_90d,
            currency=p.currency,
        )
