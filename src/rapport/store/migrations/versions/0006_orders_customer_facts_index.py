"""Orders: the (customer_id, created_at) index becomes a covering one that also holds the columns the
per-customer aggregates read (cancelled_at, financial_status, fulfillment_status, total).

`rapport segments count` then aggregates every customer's orders from the index alone, in customer
order, without reading the table (2.85 -> 1.92 s for the aggregate over 3.62M orders on SQLite). Its
first two columns are the old index's, so every lookup the old one served it serves too; replacing
rather than adding keeps one index to maintain per order written.

Revision ID: 0006_orders_customer_facts_index
Revises: 0005_follow_ups
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006_orders_customer_facts_index"
down_revision: str | None = "0005_follow_ups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COVERING = ["customer_id", "created_at", "cancelled_at", "financial_status", "fulfillment_status", "total"]


def upgrade() -> None:
    op.create_index("ix_orders_customer_facts", "orders", COVERING)
    op.drop_index(op.f("ix_orders_customer_id_created_at"), table_name="orders")


def downgrade() -> None:
    op.create_index(op.f("ix_orders_customer_id_created_at"), "orders", ["customer_id", "created_at"])
    op.drop_index("ix_orders_customer_facts", table_name="orders")
