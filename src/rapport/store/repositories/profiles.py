"""The customer profile, computed with SQL aggregates (the history is never loaded row by row).

Rules (also in docs/import-format.md):
- Everything is "as of `now`": orders and contacts after `now` are ignored.
- Counted orders exclude cancelled ones (cancelled_at set or financial_status "voided") and fully
  refunded ones (financial_status "refunded"); a partially refunded order counts at its full total,
  since the refunded amount is not known. orders_count, total_spent, spent_last_365d,
  average_order_value and first_order_at use counted orders only.
- open_orders: not cancelled and fulfillment_status none of "fulfilled", "delivered", "restocked".
- contacts_last_90d counts imported contacts and tickets triaged by Rapport; granted amounts come
  from imported contacts and the desk's grant ledger (a decision is an offer an agent may still change:
  only what was granted counts). Ledger grants count at `amount_in_policy_currency`.
- 90-day windows include both ends: now - 90 days <= created_at <= now. Amounts are summed as
  recorded, assumed to be in the merchant's currency.

A profile is two statements (a guest's, one): the customer with every aggregate, then the recent orders
with their line items as a JSON array. Both are built once per dialect with bound parameters, so
SQLAlchemy compiles them once; tests/store/profile_reference.py keeps the former eight small queries,
and a property test checks that both give the same profile.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    Integer,
    Row,
    ScalarSelect,
    Select,
    String,
    Text,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal_column,
    not_,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from rapport.domain import ZERO, CustomerProfile, LineItem, OfferKind, OrderSummary
from rapport.domain.customer import CLOSED_FULFILLMENT as CLOSED_ORDER_FULFILLMENT
from rapport.store.models import (
    Customer,
    CustomerTag,
    Grant,
    Merchant,
    Order,
    OrderLineItem,
    Subscription,
    SupportContact,
    TicketRecord,
)
from rapport.store.repositories.customers import normalize_email
from rapport.store.repositories.orders import is_cancelled, order_summary, summary_query
from rapport.store.types import Money, UtcDateTime

RECENT_ORDERS = 5
NOT_SPENDING = ("voided", "refunded")
CLOSED_FULFILLMENT = CLOSED_ORDER_FULFILLMENT  # as `OrderSummary.is_open` reads it
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
        """The profile of the merchant's customer with this e-mail (any case), or a guest profile.

        Two statements: the customer with every aggregate, then their recent orders with their line
        items (a guest needs the first one only)."""
        statements = _statements_for(self.session)
        # Core's connection, not the ORM session: the statements select columns, not entities, so the
        # session's ORM layer would only add work (a third of the time it took).
        connection = self.session.connection()
        customer = connection.execute(
            statements.customer,
            {
                "merchant_id": merchant_id,
                "email": normalize_email(email),
                "now": now,
                "year_ago": now - timedelta(days=365),
                "since_90d": now - timedelta(days=90),
            },
        ).one()
        if customer.row_id is None:
            return CustomerProfile.guest(email, currency=customer.currency)
        rows = connection.execute(statements.recent_orders, {"customer_id": customer.row_id, "now": now})
        recent = tuple(order_summary(row, statements.line_items(row.line_items)) for row in rows)
        return _profile(customer, recent, tags=statements.tags(customer.tags), email=email, now=now)


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


# -- The two statements -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Statements:
    """The profile's statements for one database, built once: SQLAlchemy then reuses their compiled SQL."""

    customer: Select[*tuple[Any, ...]]
    recent_orders: Select[*tuple[Any, ...]]
    json_number: Callable[[str], Any]  # parses a JSON number as the driver returns that column
    money: Callable[[Any], Decimal]  # what the ORM makes of a Money value the driver returned
    sorts_tags: bool  # SQLite aggregates in no promised order; its BINARY collation is Python's order

    def line_items(self, raw: str) -> tuple[LineItem, ...]:
        items = sorted(json.loads(raw, parse_float=self.json_number), key=lambda i: (i["position"], i["id"]))
        return tuple(
            LineItem(title=i["title"], quantity=i["quantity"], price=self.money(i["price"]), sku=i["sku"])
            for i in items
        )

    def tags(self, raw: str) -> tuple[str, ...]:
        tags: list[str] = json.loads(raw)
        return tuple(sorted(tags) if self.sorts_tags else tags)


_BUILT: dict[str, _Statements] = {}


def _statements_for(session: Session) -> _Statements:
    dialect = session.get_bind().dialect
    if dialect.name not in _BUILT:
        _BUILT[dialect.name] = _build(dialect)
    return _BUILT[dialect.name]


def _build(dialect: Dialect) -> _Statements:
    if dialect.name == "postgresql":
        # psycopg returns NUMERIC as Decimal: a JSON number parsed as Decimal has the same value and scale.
        return _Statements(_customer_statement(True), _recent_orders_statement(True), Decimal, Decimal, False)
    if dialect.name != "sqlite":
        raise NotImplementedError(f"profiles are read from SQLite or PostgreSQL, not {dialect.name}")
    # SQLite hands the ORM a float (or an int) that SQLAlchemy rounds to the column's scale: the JSON number
    # is that same float, converted the same way.
    to_money = Money().dialect_impl(dialect).result_processor(dialect, None)

    def money(value: Any) -> Decimal:
        converted = to_money(value) if to_money is not None else None
        return converted if isinstance(converted, Decimal) else Decimal(str(value))

    return _Statements(_customer_statement(False), _recent_orders_statement(False), float, money, True)


def _json_array(
    element: ColumnExpressionArgument[Any],
    *,
    where: ColumnExpressionArgument[bool],
    order_by: ColumnExpressionArgument[Any] | None,
    pg: bool,
) -> ScalarSelect[str]:
    """A correlated subquery: the JSON array (text) of `element` over the rows `where` selects."""
    if pg:
        aggregated = func.json_agg(element if order_by is None else aggregate_order_by(element, order_by))
        return select(func.coalesce(cast(aggregated, Text), "[]")).where(where).scalar_subquery()
    return select(func.json_group_array(element)).where(where).scalar_subquery()


def _customer_statement(pg: bool) -> Select[*tuple[Any, ...]]:
    """The merchant's currency and the customer (NULL columns for a guest) with every aggregate."""
    merchant_id = bindparam("merchant_id", type_=Integer())
    now, since = bindparam("now", type_=UtcDateTime()), bindparam("since_90d", type_=UtcDateTime())
    year_ago = bindparam("year_ago", type_=UtcDateTime())

    def in_90d(column: ColumnExpressionArgument[datetime]) -> ColumnElement[bool]:
        return and_(column >= since, column <= now)

    def total(
        amount: ColumnExpressionArgument[Decimal | None], *where: ColumnElement[bool]
    ) -> ScalarSelect[Any]:
        return select(func.sum(amount)).where(*where).scalar_subquery()

    spending = and_(Order.cancelled_at.is_(None), Order.financial_status.not_in(_constants(NOT_SPENDING)))
    is_open = and_(not_(is_cancelled()), Order.fulfillment_status.not_in(_constants(CLOSED_FULFILLMENT)))
    active = and_(Subscription.customer_id == Customer.id, Subscription.status == _constant("active"))
    refunds, credits = _constants(REFUND_OFFERS), _constants(CREDIT_OFFERS)
    contact = and_(SupportContact.customer_id == Customer.id, in_90d(SupportContact.created_at))
    grant = and_(Grant.merchant_id == merchant_id, Grant.customer_id == Customer.id, in_90d(Grant.created_at))
    tags = _json_array(
        CustomerTag.tag, where=CustomerTag.customer_id == Customer.id, order_by=CustomerTag.tag, pg=pg
    )
    return (
        select(
            Merchant.currency,
            Customer.id.label("row_id"),
            *CUSTOMER_FIELDS,
            func.count(Order.id).filter(spending).label("orders_count"),
            func.sum(Order.total).filter(spending).label("total_spent"),
            func.sum(Order.total).filter(spending, Order.created_at >= year_ago).label("spent_last_365d"),
            func.min(Order.created_at).filter(spending).label("first_order_at"),
            func.count(Order.id).filter(is_open).label("open_orders"),
            exists().where(active).label("subscribed"),
            select(func.min(Subscription.next_billing_at))
            .where(active)
            .scalar_subquery()
            .label("next_billing"),
            select(func.count(SupportContact.id)).where(contact).scalar_subquery().label("contacts"),
            select(func.count(TicketRecord.id))
            .where(TicketRecord.customer_id == Customer.id, in_90d(TicketRecord.received_at))
            .scalar_subquery()
            .label("tickets"),
            total(SupportContact.granted_amount, contact, SupportContact.granted_offer.in_(refunds)).label(
                "contact_refunds"
            ),
            total(SupportContact.granted_amount, contact, SupportContact.granted_offer.in_(credits)).label(
                "contact_credits"
            ),
            total(Grant.amount_in_policy_currency, grant, Grant.offer.in_(refunds)).label("desk_refunds"),
            total(Grant.amount_in_policy_currency, grant, Grant.offer.in_(credits)).label("desk_credits"),
            tags.label("tags"),
        )
        .select_from(Merchant)
        .outerjoin(Customer, and_(Customer.merchant_id == Merchant.id, Customer.email == bindparam("email")))
        .outerjoin(Order, and_(Order.customer_id == Customer.id, Order.created_at <= now))
        .where(Merchant.id == merchant_id)
        .group_by(Merchant.id, Customer.id)  # one row: the orders are aggregated, the rest are subqueries
    )


def _constant(value: str) -> ColumnElement[str]:
    """A constant written into the SQL: psycopg neither caches nor prepares a statement longer than
    4,096 characters or with more than 50 parameters, and every expanded IN list is re-rendered per call."""
    if not value.replace("_", "").isalnum():
        raise ValueError(f"not a plain constant: {value!r}")
    return literal_column(f"'{value}'", String())


def _constants(values: tuple[str, ...]) -> list[ColumnElement[str]]:
    return [_constant(value) for value in values]


CUSTOMER_FIELDS = (
    Customer.external_id,
    Customer.email,
    Customer.first_name,
    Customer.last_name,
    Customer.locale,
    Customer.created_at,
    Customer.loyalty_tier,
    Customer.loyalty_points,
)


def _recent_orders_statement(pg: bool) -> Select[*tuple[Any, ...]]:
    """The customer's last orders (any status: the order a customer writes about may well be the
    cancelled one), newest first, each with its line items as a JSON array."""
    item = OrderLineItem
    fields: tuple[Any, ...] = (
        "id",
        item.id,
        "position",
        item.position,
        "title",
        item.title,
        "quantity",
        item.quantity,
    )
    fields += ("price", item.price, "sku", item.sku)
    element = func.json_build_object(*fields) if pg else func.json_object(*fields)
    items = _json_array(element, where=item.order_id == Order.id, order_by=None, pg=pg)
    return (
        summary_query()
        .add_columns(items.label("line_items"))
        .where(
            Order.customer_id == bindparam("customer_id", type_=Integer()),
            Order.created_at <= bindparam("now", type_=UtcDateTime()),
        )
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(RECENT_ORDERS)
    )


def _profile(
    row: Row[Any], recent: tuple[OrderSummary, ...], *, tags: tuple[str, ...], email: str, now: datetime
) -> CustomerProfile:
    total_spent = _money(row.total_spent)
    first_order_at: datetime | None = row.first_order_at
    since = first_order_at or row.created_at
    return CustomerProfile(
        email=row.email or normalize_email(email),
        is_known=True,
        customer_id=row.external_id,
        first_name=row.first_name,
        last_name=row.last_name,
        locale=row.locale,
        customer_since=row.created_at,
        orders_count=row.orders_count,
        total_spent=total_spent,
        spent_last_365d=_money(row.spent_last_365d),
        average_order_value=_average(total_spent, row.orders_count),
        first_order_at=first_order_at,
        tenure_days=max(0, (now - since).days) if since else 0,
        last_order=recent[0] if recent else None,
        open_orders=row.open_orders,
        has_active_subscription=bool(row.subscribed),
        subscription_next_billing_at=row.next_billing,
        loyalty_tier=row.loyalty_tier,
        loyalty_points=row.loyalty_points,
        tags=tags,
        contacts_last_90d=row.contacts + row.tickets,
        refunds_last_90d=_money(row.contact_refunds) + _money(row.desk_refunds),
        credits_last_90d=_money(row.contact_credits) + _money(row.desk_credits),
        currency=row.currency,
        recent_orders=recent,
    )
