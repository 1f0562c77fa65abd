"""The customer profile, computed with SQL aggregates (the history is never loaded row by row).

Rules (also in docs/import-format.md):
- Everything is "as of `now`": orders and contacts after `now` are ignored.
- Counted orders exclude cancelled ones (cancelled_at set or financial_status "voided") and fully
  refunded ones (financial_status "refunded"); a partially refunded order counts at its full total,
  since the refunded amount is not known. orders_count, total_spent, spent_last_365d,
  average_order_value and first_order_at use counted orders only.
- open_orders: not cancelled and fulfillment_status not "fulfilled"/"restocked".
- contacts_last_90d counts imported contacts and tickets triaged by Rapport; granted amounts come
  from imported contacts and the desk's grant ledger (a decision is an offer an agent may still change:
  only what was granted counts). Ledger grants count at `amount_in_policy_currency`.
- 90-day windows include both ends: now - 90 days <= created_at <= now. Amounts are summed as
  recorded, assumed to be in the merchant's currency.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, func, not_, select
from sqlalchemy.orm import Session

from rapport.domain import ZERO, CustomerProfile, OfferKind, OrderSummary
from rapport.store.models import (
    Customer,
    CustomerTag,
    Grant,
    Merchant,
    Order,
    Subscription,
    SupportContact,
    TicketRecord,
)
from rapport.store.repositories.customers import normalize_email
from rapport.store.repositories.orders import OrderRepository, is_cancelled, summary_query

RECENT_ORDERS = 5
NOT_SPENDING = ("voided", "refunded")
CLOSED_FULFILLMENT = ("fulfilled", "restocked")
REFUND_OFFERS = (
    OfferKind.REFUND.value,
    OfferKind.PARTIAL_REFUND.value,
    OfferKind.RETURN_FOR_REFUND.value,
    OfferKind.WAIVE_FEE.value,
)
CREDIT_OFFERS = (OfferKind.STORE_CREDIT.value,)
CENT = Decimal("0.01")


def counted() -> ColumnElement[bool]:
    """SQL condition: the order counts toward the customer's spending."""
    return and_(Order.cancelled_at.is_(None), Order.financial_status.not_in(NOT_SPENDING))


class ProfileRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_profile(self, *, merchant_id: int, email: str, now: datetime) -> CustomerProfile:
        """The profile of the merchant's customer with this e-mail (any case), or a guest profile."""
        currency = self.session.execute(
            select(Merchant.currency).where(Merchant.id == merchant_id)
        ).scalar_one()
        customer = self.session.execute(
            select(Customer).where(
                Customer.merchant_id == merchant_id, Customer.email == normalize_email(email)
            )
        ).scalar_one_or_none()
        if customer is None:
            return CustomerProfile.guest(email, currency=currency)
        orders = self._order_aggregates(customer.id, now)
        recent = self._recent_orders(customer.id, now)
        active, next_billing = self._subscription(customer.id)
        contacts, refunds, credits = self._contacts_90d(customer.id, now)
        desk_refunds, desk_credits = ledger_granted_90d(
            self.session,
            merchant_id=merchant_id,
            customer_id=customer.id,
            email=customer.email or email,
            now=now,
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
            tags=self._tags(customer.id),
            contacts_last_90d=contacts,
            refunds_last_90d=refunds,
            credits_last_90d=credits,
            currency=currency,
            recent_orders=tuple(recent),
        )

    def _order_aggregates(self, customer_id: int, now: datetime) -> dict[str, Any]:
        year_ago = now - timedelta(days=365)
        is_open = and_(not_(is_cancelled()), Order.fulfillment_status.not_in(CLOSED_FULFILLMENT))
        query = select(
            func.count(Order.id).filter(counted()).label("orders_count"),
            func.sum(Order.total).filter(counted()).label("total_spent"),
            func.sum(Order.total).filter(counted(), Order.created_at >= year_ago).label("spent_last_365d"),
            func.min(Order.created_at).filter(counted()).label("first_order_at"),
            func.count(Order.id).filter(is_open).label("open_orders"),
        ).where(Order.customer_id == customer_id, Order.created_at <= now)
        row = self.session.execute(query).one()
        return {
            "orders_count": row.orders_count,
            "total_spent": _money(row.total_spent),
            "spent_last_365d": _money(row.spent_last_365d),
            "first_order_at": row.first_order_at,
            "open_orders": row.open_orders,
        }

    def _recent_orders(self, customer_id: int, now: datetime) -> list[OrderSummary]:
        # Any status: the order a customer writes about may well be the cancelled one.
        query = (
            summary_query()
            .where(Order.customer_id == customer_id, Order.created_at <= now)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(RECENT_ORDERS)
        )
        return OrderRepository(self.session).summaries(query)

    def _subscription(self, customer_id: int) -> tuple[bool, datetime | None]:
        active = Subscription.status == "active"
        query = select(
            func.count(Subscription.id).filter(active),
            func.min(Subscription.next_billing_at).filter(active),
        ).where(Subscription.customer_id == customer_id)
        count, next_billing = self.session.execute(query).one()
        return count > 0, next_billing

    def _contacts_90d(self, customer_id: int, now: datetime) -> tuple[int, Decimal, Decimal]:
        """Contacts in the 90 days before `now`: imported history plus tickets Rapport triaged.

        Amounts granted come from the history only: a triaged ticket's decision is an offer an agent
        may still change, so it does not spend the budgets.
        """
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
        count, refunds, credits, triaged = self.session.execute(query).one()
        return count + triaged, _money(refunds), _money(credits)

    def _tags(self, customer_id: int) -> tuple[str, ...]:
        query = (
            select(CustomerTag.tag).where(CustomerTag.customer_id == customer_id).order_by(CustomerTag.tag)
        )
        return tuple(self.session.scalars(query))


def ledger_granted_90d(
    session: Session, *, merchant_id: int, customer_id: int | None, email: str, now: datetime
) -> tuple[Decimal, Decimal]:
    """Refunds and credits the desk granted in the 90 days before `now` (policy currency): the customer's
    grants, or a guest's (no customer row) by e-mail. Both searches are index ranges on created_at."""
    since = now - timedelta(days=90)
    whose = (
        Grant.customer_id == customer_id if customer_id is not None else Grant.email == normalize_email(email)
    )
    amount = Grant.amount_in_policy_currency
    query = select(
        func.sum(amount).filter(Grant.offer.in_(REFUND_OFFERS)),
        func.sum(amount).filter(Grant.offer.in_(CREDIT_OFFERS)),
    ).where(Grant.merchant_id == merchant_id, whose, Grant.created_at >= since, Grant.created_at <= now)
    refunds, credits = session.execute(query).one()
    return _money(refunds), _money(credits)


def contacts_granted_90d(
    session: Session, *, merchant_id: int, customer_id: int, now: datetime
) -> tuple[Decimal, Decimal]:
    """Refunds and credits of the imported contacts in the 90 days before `now` (the profile's rule)."""
    since = now - timedelta(days=90)
    amount = SupportContact.granted_amount
    query = select(
        func.sum(amount).filter(SupportContact.granted_offer.in_(REFUND_OFFERS)),
        func.sum(amount).filter(SupportContact.granted_offer.in_(CREDIT_OFFERS)),
    ).where(
        SupportContact.merchant_id == merchant_id,
        SupportContact.customer_id == customer_id,
        SupportContact.created_at >= since,
        SupportContact.created_at <= now,
    )
    refunds, credits = session.execute(query).one()
    return _money(refunds), _money(credits)


def _money(value: Decimal | float | None) -> Decimal:
    # SQLite may hand back a float for SUM; quantizing makes both backends return exact cents.
    return ZERO if value is None else Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _average(total: Decimal, count: int) -> Decimal:
    return ZERO if count == 0 else (total / count).quantize(CENT, rounding=ROUND_HALF_UP)
