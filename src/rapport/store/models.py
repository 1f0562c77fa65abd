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
        # Covering: a customer's orders by date, and every column the per-customer aggregates read
        # (segment counts over the whole store scan it instead of the table). Named: the convention's
        # name would be longer than PostgreSQL's 63 characters.
        Index(
            "ix_orders_customer_facts",
            "customer_id",
            "created_at",
            "cancelled_at",
            "financial_status",
            "fulfillment_status",
            "total",
        ),
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
    __table_args__ = (
        Index(None, "merchant_id", "received_at"),
        Index(None, "customer_id"),
        # The queue board and claim-next: a merchant's open tickets of one queue, by priority then due.
        Index(None, "merchant_id", "queue", "status", "priority", "first_response_due"),
        Index(None, "merchant_id", "email", "status"),
        UniqueConstraint("merchant_id", "idempotency_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = merchant_fk()
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(String(320))
    message: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(40))
    intent: Mapped[str] = mapped_column(String(60))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    # -- The desk: where the ticket is in its lifecycle (domain.desk.TicketStatus) and who has it. --------
    subject: Mapped[str | None] = mapped_column(String(500))
    customer_name: Mapped[str | None] = mapped_column(String(limits.PERSON_NAME_LENGTH))
    status: Mapped[str] = mapped_column(String(30), default="open", server_default="open")
    queue: Mapped[str] = mapped_column(String(60), default="", server_default="")
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The level the decision escalates to (domain EscalationLevel) and the level needed to claim it now.
    escalation_level: Mapped[str] = mapped_column(String(20), default="agent", server_default="agent")
    claim_level: Mapped[str] = mapped_column(String(20), default="agent", server_default="agent")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    first_response_due: Mapped[datetime | None]
    first_responded_at: Mapped[datetime | None]
    # The SLA clock stops while waiting on the customer (when the policy says so): since when, and the
    # seconds already spent paused, which push the due time back.
    sla_paused_since: Mapped[datetime | None]
    sla_paused_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    claimed_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
    # A client's retry of the same POST /v1/tickets carries the same key and gets the same ticket.
    idempotency_key: Mapped[str | None] = mapped_column(String(200))


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


# -- People, keys and sessions ------------------------------------------------------------------------


class User(Base):
    """A person at a merchant's desk: an agent, a senior or an admin (`domain.desk.Role`)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("merchant_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = merchant_fk()
    email: Mapped[str] = mapped_column(String(limits.EMAIL_LENGTH))  # stored lowercased
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id, never the password
    created_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]


class ApiKey(Base):
    """An API key: shown once when created, stored as its SHA-256 (keys are long random strings, so a
    fast hash is safe; passwords are not, and get argon2). `prefix` finds the row; the hash proves it."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = merchant_fk()
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class WebSession(Base):
    """A person logged in to the workspace: the cookie carries the token, the row keeps its hash."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = merchant_fk()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class PolicyVersion(Base):
    """A merchant's policy as its YAML text, versioned: the newest is in force, any older one can be
    restored (as a new version). A merchant without versions uses RAPPORT_POLICY_PATH."""

    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("merchant_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = merchant_fk()
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_label: Mapped[str] = mapped_column(String(320))  # the e-mail, or "cli"
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]


# -- A ticket's conversation and history --------------------------------------------------------------


class TicketMessage(Base):
    """One message of a ticket's conversation: the customer's, or a reply that was sent."""

    __tablename__ = "ticket_messages"
    __table_args__ = (Index(None, "ticket_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = merchant_fk()
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(20))  # customer, agent, system
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    # For a reply: how it was written (template, llm, edited) and the guardrail result it was sent with.
    draft_source: Mapped[str | None] = mapped_column(String(20))
    guardrails: Mapped[dict[str, Any] | None]


class TicketEvent(Base):
    """Every change of a ticket: what happened, from which state to which, who did it and when."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index(None, "ticket_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = merchant_fk()
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str | None] = mapped_column(String(30))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(320))
    detail: Mapped[dict[str, Any] | None]


class Grant(Base):
    """The grant ledger: what was actually given to a customer, append-only. Checked against the limits
    and the rolling budgets when it is written; its sums feed `refunds_last_90d` / `credits_last_90d`."""

    __tablename__ = "grants"
    __table_args__ = (
        Index(None, "merchant_id", "customer_id", "created_at"),
        Index(None, "merchant_id", "email", "created_at"),
        Index(None, "ticket_id"),
        UniqueConstraint("merchant_id", "idempotency_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = merchant_fk()
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(String(limits.EMAIL_LENGTH))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    offer: Mapped[str] = mapped_column(String(40))
    amount: Mapped[Decimal | None]  # in `currency` (the order's)
    percent: Mapped[Decimal | None]
    currency: Mapped[str] = mapped_column(String(limits.CURRENCY_LENGTH))
    # The amount in the policy's currency: what the limits and budgets count.
    amount_in_policy_currency: Mapped[Decimal | None]
    granted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_by_label: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]


# -- Follow-ups after a resolution --------------------------------------------------------------------


class FollowUpRecord(Base):
    """A follow-up the policy decided for a resolved ticket, and where its delivery stands.

    status: scheduled -> sending -> sent; a failure goes back to `failed` (retried at `next_attempt_at`)
    until the last attempt, then `dead` (an admin may retry it); `cancelled` when the customer wrote
    again or the ticket was reopened. `next_attempt_at` is also the lease of a `sending` row: a worker
    killed mid-send leaves it `sending`, and it is claimed again once that time has passed.
    `rule_key` names the policy rule it came from: one row per (ticket, rule), never two.
    """

    __tablename__ = "follow_ups"
    __table_args__ = (
        UniqueConstraint("merchant_id", "ticket_id", "rule_key"),
        # "Due now": the workers' claim reads claimable rows in the order they are due.
        Index(None, "status", "next_attempt_at"),
        Index(None, "merchant_id", "email", "status"),
        Index(None, "ticket_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = merchant_fk()
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(String(limits.EMAIL_LENGTH))
    rule_key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(20))
    sender: Mapped[str] = mapped_column(String(20))
    anchor: Mapped[str] = mapped_column(String(20))  # resolution | delivery | next_billing
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    cancelled_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
