"""Follow-ups: what the policy decided after a resolution, scheduled, claimed by workers, sent once.

Revision ID: 0005_follow_ups
Revises: 0004_desk
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_follow_ups"
down_revision: str | None = "0004_desk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def _fk(column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], ondelete=ondelete, name=op.f(f"fk_follow_ups_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("rule_key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("sender", sa.String(length=20), nullable=False),
        sa.Column("anchor", sa.String(length=20), nullable=False),
        sa.Column("due_at", WHEN, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", WHEN, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", WHEN, nullable=True),
        sa.Column("cancelled_reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        _fk("merchant_id", "merchants", "CASCADE"),
        _fk("ticket_id", "tickets", "CASCADE"),
        _fk("customer_id", "customers", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
        sa.UniqueConstraint(
            "merchant_id", "ticket_id", "rule_key", name=op.f("uq_follow_ups_merchant_id_ticket_id_rule_key")
        ),
    )
    op.create_index(op.f("ix_follow_ups_status_next_attempt_at"), "follow_ups", ["status", "next_attempt_at"])
    op.create_index(
        op.f("ix_follow_ups_merchant_id_email_status"), "follow_ups", ["merchant_id", "email", "status"]
    )
    op.create_index(op.f("ix_follow_ups_ticket_id"), "follow_ups", ["ticket_id"])


def downgrade() -> None:
    op.drop_table("follow_ups")
