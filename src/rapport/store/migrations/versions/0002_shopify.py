"""Shopify connector: webhook deliveries (stored once) and sync state.

Revision ID: 0002_shopify
Revises: 0001_initial
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rapport.store.shopify_models  # noqa: F401 - registers the tables on Base.metadata for schema checks

revision: str = "0002_shopify"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shopify_webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("delivery_key", sa.String(length=100), nullable=False),
        sa.Column("webhook_id", sa.String(length=100), nullable=False),
        sa.Column("topic", sa.String(length=60), nullable=False),
        sa.Column("shop_domain", sa.String(length=255), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            ondelete="CASCADE",
            name=op.f("fk_shopify_webhook_deliveries_merchant_id_merchants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shopify_webhook_deliveries")),
        sa.UniqueConstraint(
            "merchant_id",
            "topic",
            "delivery_key",
            name=op.f("uq_shopify_webhook_deliveries_merchant_id_topic_delivery_key"),
        ),
    )
    op.create_index(
        op.f("ix_shopify_webhook_deliveries_merchant_id_status"),
        "shopify_webhook_deliveries",
        ["merchant_id", "status"],
    )
    op.create_table(
        "shopify_sync_state",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("bulk_operation_id", sa.String(length=100), nullable=True),
        sa.Column("bulk_url", sa.Text(), nullable=True),
        sa.Column("lines_done", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("watermark", sa.DateTime(timezone=True), nullable=True),
        sa.Column("customers_synced", sa.Integer(), nullable=False),
        sa.Column("orders_synced", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            ondelete="CASCADE",
            name=op.f("fk_shopify_sync_state_merchant_id_merchants"),
        ),
        sa.PrimaryKeyConstraint("merchant_id", name=op.f("pk_shopify_sync_state")),
    )


def downgrade() -> None:
    op.drop_table("shopify_sync_state")
    op.drop_index(
        op.f("ix_shopify_webhook_deliveries_merchant_id_status"), table_name="shopify_webhook_deliveries"
    )
    op.drop_table("shopify_webhook_deliveries")
