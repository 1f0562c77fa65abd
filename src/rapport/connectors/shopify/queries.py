"""The few queries the connector needs that the store's repositories do not offer (its own tables,
staleness checks, privacy deletions). Candidates to move into `rapport.store` once stable."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Text, cast, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rapport.connectors.shopify.tables import SyncState, WebhookDelivery
from rapport.store.database import make_engine, session_factory, upgrade
from rapport.store.models import Customer, Merchant, Order, table_of
from rapport.store.unit_of_work import UnitOfWork


def updated_at_of(
    session: Session, model: Any, *, merchant_id: int, external_ids: Iterable[str]
) -> dict[str, Any]:
    """Stored `updated_at` of these customers or orders (absent ids are not stored yet)."""
    wanted = set(external_ids)
    if not wanted:
        return {}
    query = select(model.external_id, model.updated_at).where(
        model.merchant_id == merchant_id, model.external_id.in_(wanted)
    )
    return {key: value for key, value in session.execute(query)}


def insert_delivery(session: Session, row: dict[str, Any]) -> int | None:
    """Store a delivery once: its row id, or None when the same delivery was stored before."""
    dialect = session.get_bind().dialect.name
    insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
    stmt = (
        insert(table_of(WebhookDelivery))
        .values(**row)
        .on_conflict_do_nothing(index_elements=["merchant_id", "topic", "delivery_key"])
        .returning(table_of(WebhookDelivery).c.id)
    )
    return session.execute(stmt).scalar_one_or_none()


def find_delivery(
    session: Session, *, merchant_id: int, topic: str, delivery_key: str
) -> WebhookDelivery | None:
    query = select(WebhookDelivery).where(
        WebhookDelivery.merchant_id == merchant_id,
        WebhookDelivery.topic == topic,
        WebhookDelivery.delivery_key == delivery_key,
    )
    return session.scalars(query).one_or_none()


def mark_delivery(
    session: Session, delivery_id: int, *, status: str, detail: str | None, at: datetime
) -> None:
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .values(status=status, detail=detail, processed_at=at)
    )


def delete_customer(session: Session, *, merchant_id: int, external_id: str | None, email: str | None) -> int:
    """Delete a customer (tags, subscriptions and contacts cascade; orders keep no link). Rows deleted."""
    keys = [Customer.external_id == external_id] if external_id else []
    if email:
        keys.append(Customer.email == email.strip().lower())
    if not keys:
        return 0
    ids = list(session.scalars(select(Customer.id).where(Customer.merchant_id == merchant_id, or_(*keys))))
    if not ids:
        return 0
    session.execute(update(Order).where(Order.customer_id.in_(ids)).values(customer_id=None))
    session.execute(delete(Customer).where(Customer.id.in_(ids)))
    return len(ids)


def scrub_deliveries(session: Session, *, merchant_id: int, needles: Iterable[str], keep_id: int) -> int:
    """Replace stored webhook payloads that mention any of `needles` (ids, e-mail) with a redaction marker."""
    terms = [n for n in needles if n]
    if not terms:
        return 0
    text = cast(WebhookDelivery.payload, Text)
    stmt = (
        update(WebhookDelivery)
        .where(
            WebhookDelivery.merchant_id == merchant_id,
            WebhookDelivery.id != keep_id,
            or_(*[text.contains(term, autoescape=True) for term in terms]),
        )
        .values(payload={"redacted": True})
    )
    result: Any = session.execute(stmt)
    return int(result.rowcount or 0)


def delete_merchant_data(session: Session, *, merchant_id: int) -> None:
    """shop/redact: everything of the merchant goes (every merchant-scoped table cascades)."""
    session.execute(delete(Merchant).where(Merchant.id == merchant_id))


def record_refund(session: Session, *, merchant_id: int, order_external_id: str, refunded: Decimal) -> bool:
    """Mark an order refunded or partially refunded; False when the order is not stored."""
    total = session.scalar(
        select(Order.total).where(Order.merchant_id == merchant_id, Order.external_id == order_external_id)
    )
    if total is None:
        return False
    status = "refunded" if refunded >= total else "partially_refunded"
    session.execute(
        update(Order)
        .where(Order.merchant_id == merchant_id, Order.external_id == order_external_id)
        .values(financial_status=status)
    )
    return True


def sync_state(session: Session, *, merchant_id: int) -> SyncState | None:
    return session.get(SyncState, merchant_id)


def count_rows(session: Session, model: Any, *, merchant_id: int, **equal: Any) -> int:
    query = select(func.count()).select_from(model).where(model.merchant_id == merchant_id)
    for name, value in equal.items():
        query = query.where(getattr(model, name) == value)
    return session.execute(query).scalar_one()


def store_units(database_url: str) -> Callable[[], UnitOfWork]:
    """Units of work on `database_url`, migrated to the newest schema first (entrypoints call this)."""
    engine = make_engine(database_url)
    upgrade(engine)
    sessions = session_factory(engine)
    return lambda: UnitOfWork(sessions)
