"""The customer profile as it was computed before it became two statements: about eight small queries.

Kept only for the tests, as the reference the two-statement `ProfileRepository.get_profile` must equal
for every customer (tests/store/test_profile_equivalence.py). It is a copy on purpose: it imports the
rules' constants and the ledger sums from the repository, but none of the new query code.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_, func, not_, select
from sqlalchemy.orm import Session

from rapport.domain import ZERO, CustomerProfile, OrderSummary
from rapport.store.models import (
    Customer,
    CustomerTag,
    Merchant,
    Order,
    Subscription,
    SupportContact,
    TicketRecord,
)
from rapport.store.repositories.customers import normalize_email
from rapport.store.repositories.orders import OrderRepository, is_cancelled, summary_query
from rapport.store.repositories.profiles import (
    CLOSED_FULFILLMENT,
    CREDIT_OFFERS,
    RECENT_ORDERS,
    REFUND_OFFERS,
    counted,
    ledger_granted_90d,
)

CENT = Decimal("0.01")


def reference_profile(session: Session, *, merchant_id: int, email: str, now: datetime) -> CustomerProfile:
    """The profile of the merchant's customer with this e-mail (any case), or a guest profile."""
    currency = session.execute(select(Merchant.currency).where(Merchant.id == merchant_id)).scalar_one()
    customer = session.execute(
        select(Customer).where(Customer.merchant_id == merchant_id, Customer.email == normalize_email(email))
    ).scalar_one_or_none()
    if customer is None:
        return CustomerProfile.guest(email, currency=currency)
    orders = _order_aggregates(session, customer.id, now)
    recent = _recent_orders(session, customer.id, now)
    active, next_billing = _subscription(session, customer.id)
    contacts, refunds, credits = _contacts_90d(session, customer.id, now)
    desk_refunds, desk_credits = ledger_granted_90d(
        session, merchant_id=merchant_id, customer_id=customer.id, email=customer.email or email, now=now
    )
    refunds, credits = refunds + desk_refunds, credits + desk_credits
    first_order_at: datetime | None = orders["first_order_at"]
    since = first_order_at or customer.created_at
    return CustomerProfile(
        email=customer.email or normalize_email(email),
        is_known=True,
        customer_id=customer.external_id,
        first_name=customer.first_name,
        last_name=customer.last_name,
        locale=customer.locale,
        customer_since=customer.created_at,
        orders_count=orders["orders_count"],
        total_spent=orders["total_spent"],
        spent_last_365d=orders["spent_last_365d"],
        average_order_value=_average(orders["total_spent"], orders["orders_count"]),
        first_order_at=first_order_at,
        tenure_days=max(0, (now - since).days) if since else 0,
        last_order=recent[0] if recent else None,
        open_orders=orders["open_orders"],
        has_active_subscription=active,
        subscription_next_billing_at=next_billing,
        loyalty_tier=customer.loyalty_tier,
        loyalty_points=customer.loyalty_points,
        tags=_tags(session, customer.id),
        contacts_last_90d=contacts,
        refunds_last_90d=refunds,
        credits_last_90d=credits,
        currency=currency,
        recent_orders=tuple(recent),
    )


def _order_aggregates(session: Session, customer_id: int, now: datetime) -> dict[str, Any]:
    year_ago = now - timedelta(days=365)
    is_open = and_(not_(is_cancelled()), Order.fulfillment_status.not_in(CLOSED_FULFILLMENT))
    query = select(
        func.count(Order.id).filter(counted()).label("orders_count"),
        func.sum(Order.total).filter(counted()).label("total_spent"),
        func.sum(Order.total).filter(counted(), Order.created_at >= year_ago).label("spent_last_365d"),
        func.min(Order.created_at).filter(counted()).label("first_order_at"),
        func.count(Order.id).filter(is_open).label("open_orders"),
    ).where(Order.customer_id == customer_id, Order.created_at <= now)
    row = session.execute(query).one()
    return {
        "orders_count": row.orders_count,
        "total_spent": _money(row.total_spent),
        "spent_last_365d": _money(row.spent_last_365d),
        "first_order_at": row.first_order_at,
        "open_orders": row.open_orders,
    }


def _recent_orders(session: Session, customer_id: int, now: datetime) -> list[OrderSummary]:
    query = (
        summary_query()
        .where(Order.customer_id == customer_id, Order.created_at <= now)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(RECENT_ORDERS)
    )
    return OrderRepository(session).summaries(query)


def _subscription(session: Session, customer_id: int) -> tuple[bool, datetime | None]:
    active = Subscription.status == "active"
    query = select(
        func.count(Subscription.id).filter(active),
        func.min(Subscription.next_billing_at).filter(active),
    ).where(Subscription.customer_id == customer_id)
    count, next_billing = session.execute(query).one()
    return count > 0, next_billing


def _contacts_90d(session: Session, customer_id: int, now: datetime) -> tuple[int, Decimal, Decimal]:
    since = now - timedelta(days=90)
    tickets = (
        select(func.count(TicketRecord.id))
        .where(
            TicketRecord.customer_id == customer_id,
            TicketRecord.received_at >= since,
            TicketRecord.received_at <= now,
        )
        .scalar_subquery()
    )
    query = select(
        func.count(SupportContact.id),
        func.sum(SupportContact.granted_amount).filter(SupportContact.granted_offer.in_(REFUND_OFFERS)),
        func.sum(SupportContact.granted_amount).filter(SupportContact.granted_offer.in_(CREDIT_OFFERS)),
        tickets,
    ).where(
        SupportContact.customer_id == customer_id,
        SupportContact.created_at >= since,
        SupportContact.created_at <= now,
    )
    count, refunds, credits, triaged = session.execute(query).one()
    return count + triaged, _money(refunds), _money(credits)


def _tags(session: Session, customer_id: int) -> tuple[str, ...]:
    query = select(CustomerTag.tag).where(CustomerTag.customer_id == customer_id).order_by(CustomerTag.tag)
    return tuple(session.scalars(query))


def _money(value: Decimal | float | None) -> Decimal:
    return ZERO if value is None else Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _average(total: Decimal, count: int) -> Decimal:
    return ZERO if count == 0 else (total / count).quantize(CENT, rounding=ROUND_HALF_UP)
