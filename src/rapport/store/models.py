"""Tables of the store. Every row belongs to one merchant; unique keys are scoped by merchant.

Migrations are written by hand in `rapport/store/migrations/versions/`; keep them in step with
these models (tests compare the migrated schema with `Base.metadata`).

The sizes of the columns imported data goes into are `rapport.domain.limits_of_store`'s constants: the
importers check every value against the same numbers before writing (a test checks `Money()` too).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from rapport.domain import limits_of_store as limits
from rapport.store.types import Money, UtcDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every Rapport table (later migrations add theirs to the same metadata)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime(), Decimal: Money(), dict[str, Any]: JSON()}


def table_of(model: type[Base]) -> Table:
    """The Core table of a model, for bulk statements."""
    return cast(Table, model.__table__)


def merchant_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"), index=False)


class Merchant(Base):
    __tablename__ = "merchants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    # The Shopify shop (`acme.myshopify.com`) whose webhooks belong to this merchant; None: no shop.
    shop_domain: Mapped[str | None] = mapped_column(String(255), unique=True)


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("merchant_id", "external_id"),
        UniqueConstraint("merchant_id", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = merchant_fk()
    external_id: Mapped[str] = mapped_column(String(limits.ID_LENGTH))
    email: Mapped[str | None] = mapped_column(String(limits.EMAIL_LENGTH))  # stored lowercased
    first_name: Mapped[str | None] = mapped_column(String(limits.PERSON_NAME_LENGTH))
    last_name: Mapped[str | None] = mapped_column(String(limits.PERSON_NAME_LENGTH))
    locale: Mapped[str | None] = mapped_column(String(limits.LOCALE_LENGTH))
    created_at: Mapped[datetime | None]
    loyalty_tier: Mapped[str | None] = mapped_column(String(limits.LOYALTY_TIER_LENGTH))
    loyalty_points: Mapped[int] = mapped_column(Integer, default=0)
    accepts_marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime | None]


class CustomerTag(Base):
    """A customer's tags, one row each so that "customers tagged X" is an indexed query."""

    __tablename__ = "customer_tags"
    __table_args__ = (Index(None, "merchant_id", "tag"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(limits.TAG_LENGTH), primary_key=True)
    merchant_id: Mapped[int] = merchant_fk()


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("merchant_id", "external_id"),
        Index(None, "merchant_id", "name"),
        Index(None, "customer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = merchant_fk()
    external_id: Mapped[str] = mapped_column(String(limits.ID_LENGTH))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(limits.ORDER_NAME_LENGTH))  # e.g. "#1042"
    created_at: Mapped[datetime]
    total: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(limits.CURRENCY_LENGTH))
    financial_status: Mapped[str] = mapped_column(String(limits.STATUS_LENGTH))
    fulfillment_status: Mapped[str] = mapped_column(String(limits.STATUS_LENGTH))
    cancelled_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]


class OrderLineItem(Base):
    __tablename__ = "order_line_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = merchant_fk()
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(limits.TITLE_LENGTH))
    quantity: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal]
    sku: Mapped[str | None] = mapped_column(String(limits.SKU_LENGTH))


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("merchant_id", "external_id"), Index(None, "customer_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = merchant_fk()
    external_id: Mapped[str] = mapped_column(String(limits.ID_LENGTH))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(limits.STATUS_LENGTH))
    product: Mapped[str | None] = mapped_column(String(limits.TITLE_LENGTH))
    price: Mapped[Decimal | None]
    currency: Mapped[str] = mapped_column(String(limits.CURRENCY_LENGTH))
    next_billing_at: Mapped[datetime | None]


class SupportContact(Base):
    """A past support conversation and what it granted (feeds the 90-day windows)."""

    __tablename__ = "support_contacts"
    __table_args__ = (
        UniqueConstraint("merchant_id", "external_id"),
        Index(None, "customer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = merchant_fk()
    external_id: Mapped[str] = mapped_column(String(limits.ID_LENGTH))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    intent: Mapped[str] = mapped_column(String(limits.LABEL_LENGTH))
    outcome: Mapped[str | None] = mapped_column(String(limits.LABEL_LENGTH))
    granted_offer: Mapped[str | None] = mapped_column(String(limits.LABEL_LENGTH))
    granted_amount: Mapped[Decimal | None]
    granted_currency: Mapped[str | None] = mapped_column(String(limits.CURRENCY_LENGTH))


class TicketRecord(Base):
    """An inbound message as triaged (the domain's `Ticket` is the value; this is its row)."""

    __tablename__ = "tickets"
    __table_args__ = (Index(None, "merchant_id", "received_at"), Index(None, "customer_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = merchant_fk()
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(String(320))
    message: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(40))
    intent: Mapped[str] = mapped_column(String(60))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))


class DecisionRecord(Base):
    """The engine's decision for a ticket; `decision_json` is a `schemas.StoredDecision` (versioned)."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = merchant_fk()
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    segment: Mapped[str] = mapped_column(String(60))
    queue: Mapped[str] = mapped_column(String(60))
    priority: Mapped[int] = mapped_column(Integer)
    offer: Mapped[str] = mapped_column(String(60))
    amount: Mapped[Decimal | None]
    decision_json: Mapped[dict[str, Any]]
