"""The Shopify connector's queries: webhook deliveries stored once, sync state, staleness checks,
refunds and privacy deletions (customers/redact, shop/redact)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Text, cast, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rapport.store.models import Customer, Merchant, Order, table_of
from rapport.store.shopify_models import SyncState, WebhookDelivery
from rapport.store.upsert import domain_errors

Counted = Literal["customers", "orders", "webhooks"]
_COUNTED: dict[str, Any] = {"customers": Customer, "orders": Order, "webhooks": WebhookDelivery}


class ShopifyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def updated_at_of(
        self, kind: Literal["customers", "orders"], *, merchant_id: int, external_ids: Iterable[str]
    ) -> dict[str, Any]:
        """Stored `updated_at` of these customers or orders (absent ids are not stored yet)."""
        model = _COUNTED[kind]
        wanted = set(external_ids)
        if not wanted:
            return {}
        query = select(model.external_id, model.updated_at).where(
            model.merchant_id == merchant_id, model.external_id.in_(wanted)
        )
        return {key: value for key, value in self.session.execute(query)}

    def insert_delivery(self, row: dict[str, Any]) -> int | None:
        """Store a delivery once: its row id, or None when the same delivery was stored before.

        A store that cannot take it raises `StoreUnavailable` (the sender should deliver it again)."""
        dialect = self.session.get_bind().dialect.name
        insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
        stmt = (
            insert(table_of(WebhookDelivery))
            .values(**row)
            .on_conflict_do_nothing(index_elements=["merchant_id", "topic", "delivery_key"])
            .returning(table_of(WebhookDelivery).c.id)
        )
        with domain_errors():
            return self.session.execute(stmt).scalar_one_or_none()

    def find_delivery(self, *, merchant_id: int, topic: str, delivery_key: str) -> WebhookDelivery | None:
        """The delivery stored under this key, if any."""
        query = select(WebhookDelivery).where(
            WebhookDelivery.merchant_id == merchant_id,
            WebhookDelivery.topic == topic,
            WebhookDelivery.delivery_key == delivery_key,
        )
        return self.session.scalars(query).one_or_none()

    def delivery(self, delivery_id: int) -> WebhookDelivery | None:
        """The delivery with this row id, if any."""
        return self.session.get(WebhookDelivery, delivery_id)

    def mark_delivery(self, delivery_id: int, *, status: str, detail: str | None, at: datetime) -> None:
        """Record what processing the delivery did."""
        self.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .values(status=status, detail=detail, processed_at=at)
        )

    def delete_customer(self, *, merchant_id: int, external_id: str | None, email: str | None) -> int:
        """Delete a customer (tags, subscriptions and contacts cascade; orders keep no link). Rows deleted."""
        keys = [Customer.external_id == external_id] if external_id else []
        if email:
            keys.append(Customer.email == email.strip().lower())
        if not keys:
            return 0
        query = select(Customer.id).where(Customer.merchant_id == merchant_id, or_(*keys))
        ids = list(self.session.scalars(query))
        if not ids:
            return 0
        self.session.execute(update(Order).where(Order.customer_id.in_(ids)).values(customer_id=None))
        self.session.execute(delete(Customer).where(Customer.id.in_(ids)))
        return len(ids)

    def scrub_deliveries(self, *, merchant_id: int, needles: Iterable[str], keep_id: int) -> int:
        """Replace stored payloads that mention any of `needles` (ids, e-mail) with a redaction marker."""
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
        result: Any = self.session.execute(stmt)
        return int(result.rowcount or 0)

    def redact_delivery(self, delivery_id: int) -> None:
        """Replace one delivery's stored payload with the redaction marker (a redaction's own request)."""
        self.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .values(payload={"redacted": True})
        )

    def delete_merchant_data(self, *, merchant_id: int) -> None:
        """shop/redact: everything of the merchant goes (every merchant-scoped table cascades)."""
        self.session.execute(delete(Merchant).where(Merchant.id == merchant_id))

    def record_refund(self, *, merchant_id: int, order_external_id: str, refunded: Decimal) -> bool:
        """Mark an order refunded or partially refunded; False when the order is not stored."""
        where = (Order.merchant_id == merchant_id, Order.external_id == order_external_id)
        total = self.session.scalar(select(Order.total).where(*where))
        if total is None:
            return False
        status = "refunded" if refunded >= total else "partially_refunded"
        self.session.execute(update(Order).where(*where).values(financial_status=status))
        return True

    def sync_state(self, *, merchant_id: int) -> SyncState | None:
        """Where the merchant's last sync got to (None before the first)."""
        return self.session.get(SyncState, merchant_id)

    def save_sync_state(self, *, merchant_id: int, **values: Any) -> SyncState:
        """Set these fields of the merchant's sync state (created on first use)."""
        state = self.session.get(SyncState, merchant_id)
        if state is None:
            state = SyncState(
                merchant_id=merchant_id,
                status="running",
                mode="full",
                lines_done=0,
                customers_synced=0,
                orders_synced=0,
            )
            self.session.add(state)
        for name, value in values.items():
            setattr(state, name, value)
        return state

    def count(self, kind: Counted, *, merchant_id: int, status: str | None = None) -> int:
        """How many customers, orders or webhook deliveries (with this status) the merchant has."""
        model = _COUNTED[kind]
        query = select(func.count()).select_from(model).where(model.merchant_id == merchant_id)
        if status is not None:
            query = query.where(model.status == status)
        return self.session.execute(query).scalar_one()
