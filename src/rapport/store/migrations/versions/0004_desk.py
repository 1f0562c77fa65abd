"""The support desk: people, API keys and sessions; tickets with a lifecycle, their messages and events;
the grant ledger; versioned policies.

Tickets stored before this revision keep their queue and priority (copied from their decision) and start
open, without an SLA due time (their decision's is in its JSON; the desk shows them as "no target").

Revision ID: 0004_desk
Revises: 0003_merchant_shop_domain
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_desk"
down_revision: str | None = "0003_merchant_shop_domain"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)
MONEY = sa.Numeric(precision=12, scale=2)


def _merchant(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["merchant_id"], ["merchants.id"], ondelete="CASCADE", name=op.f(f"fk_{table}_merchant_id_merchants")
    )


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], ondelete=ondelete, name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("disabled_at", WHEN, nullable=True),
        _merchant("users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("merchant_id", "email", name=op.f("uq_users_merchant_id_email")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("revoked_at", WHEN, nullable=True),
        _merchant("api_keys"),
        _fk("api_keys", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("revoked_at", WHEN, nullable=True),
        _merchant("web_sessions"),
        _fk("web_sessions", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_sessions_token_hash")),
    )
    op.create_index(op.f("ix_web_sessions_user_id"), "web_sessions", ["user_id"])
    op.create_table(
        "policy_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_label", sa.String(length=320), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        _merchant("policy_versions"),
        _fk("policy_versions", "author_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_versions")),
        sa.UniqueConstraint("merchant_id", "version", name=op.f("uq_policy_versions_merchant_id_version")),
    )
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("subject", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("customer_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("status", sa.String(length=30), server_default="open", nullable=False))
        batch.add_column(sa.Column("queue", sa.String(length=60), server_default="", nullable=False))
        batch.add_column(sa.Column("priority", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(
            sa.Column("escalation_level", sa.String(length=20), server_default="agent", nullable=False)
        )
        batch.add_column(
            sa.Column("claim_level", sa.String(length=20), server_default="agent", nullable=False)
        )
        batch.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("first_response_due", WHEN, nullable=True))
        batch.add_column(sa.Column("first_responded_at", WHEN, nullable=True))
        batch.add_column(sa.Column("sla_paused_since", WHEN, nullable=True))
        batch.add_column(sa.Column("sla_paused_seconds", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("claimed_at", WHEN, nullable=True))
        batch.add_column(sa.Column("resolved_at", WHEN, nullable=True))
        batch.add_column(sa.Column("updated_at", WHEN, nullable=True))
        batch.add_column(sa.Column("idempotency_key", sa.String(length=200), nullable=True))
        batch.create_foreign_key(
            op.f("fk_tickets_assignee_id_users"), "users", ["assignee_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_unique_constraint(
            op.f("uq_tickets_merchant_id_idempotency_key"), ["merchant_id", "idempotency_key"]
        )
        batch.create_index(
            op.f("ix_tickets_merchant_id_queue_status_priority_first_response_due"),
            ["merchant_id", "queue", "status", "priority", "first_response_due"],
        )
        batch.create_index(op.f("ix_tickets_merchant_id_email_status"), ["merchant_id", "email", "status"])
    # Tickets recorded before the desk: their queue and priority come from their decision.
    op.execute(
        "UPDATE tickets SET "
        "queue = COALESCE((SELECT d.queue FROM decisions d WHERE d.ticket_id = tickets.id), ''), "
        "priority = COALESCE((SELECT d.priority FROM decisions d WHERE d.ticket_id = tickets.id), 0)"
    )
    op.create_table(
        "ticket_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("draft_source", sa.String(length=20), nullable=True),
        sa.Column("guardrails", sa.JSON(), nullable=True),
        _merchant("ticket_messages"),
        _fk("ticket_messages", "ticket_id", "tickets", "CASCADE"),
        _fk("ticket_messages", "user_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_messages")),
    )
    op.create_index(
        op.f("ix_ticket_messages_ticket_id_created_at"), "ticket_messages", ["ticket_id", "created_at"]
    )
    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("from_status", sa.String(length=30), nullable=True),
        sa.Column("to_status", sa.String(length=30), nullable=True),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_key_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=320), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        _merchant("ticket_events"),
        _fk("ticket_events", "ticket_id", "tickets", "CASCADE"),
        _fk("ticket_events", "actor_user_id", "users", "SET NULL"),
        _fk("ticket_events", "actor_key_id", "api_keys", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_events")),
    )
    op.create_index(op.f("ix_ticket_events_ticket_id_at"), "ticket_events", ["ticket_id", "at"])
    op.create_table(
        "grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("offer", sa.String(length=40), nullable=False),
        sa.Column("amount", MONEY, nullable=True),
        sa.Column("percent", MONEY, nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_in_policy_currency", MONEY, nullable=True),
        sa.Column("granted_by_user_id", sa.Integer(), nullable=True),
        sa.Column("granted_by_label", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        _merchant("grants"),
        _fk("grants", "customer_id", "customers", "SET NULL"),
        _fk("grants", "ticket_id", "tickets", "SET NULL"),
        _fk("grants", "order_id", "orders", "SET NULL"),
        _fk("grants", "granted_by_user_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grants")),
        sa.UniqueConstraint(
            "merchant_id", "idempotency_key", name=op.f("uq_grants_merchant_id_idempotency_key")
        ),
    )
    op.create_index(
        op.f("ix_grants_merchant_id_customer_id_created_at"),
        "grants",
        ["merchant_id", "customer_id", "created_at"],
    )
    op.create_index(
        op.f("ix_grants_merchant_id_email_created_at"), "grants", ["merchant_id", "email", "created_at"]
    )
    op.create_index(op.f("ix_grants_ticket_id"), "grants", ["ticket_id"])


def downgrade() -> None:
    op.drop_table("grants")
    op.drop_table("ticket_events")
    op.drop_table("ticket_messages")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index(op.f("ix_tickets_merchant_id_email_status"))
        batch.drop_index(op.f("ix_tickets_merchant_id_queue_status_priority_first_response_due"))
        batch.drop_constraint(op.f("uq_tickets_merchant_id_idempotency_key"), type_="unique")
        batch.drop_constraint(op.f("fk_tickets_assignee_id_users"), type_="foreignkey")
        for column in (
            "idempotency_key", "updated_at", "resolved_at", "claimed_at", "sla_paused_seconds",
            "sla_paused_since", "first_responded_at", "first_response_due", "assignee_id", "claim_level",
            "escalation_level", "priority", "queue", "status", "customer_name", "subject",
        ):  # fmt: skip
            batch.drop_column(column)
    op.drop_table("policy_versions")
    op.drop_table("web_sessions")
    op.drop_table("api_keys")
    op.drop_table("users")
