"""Merchants record their Shopify shop domain, so that a webhook is applied to the shop that sent it; a
delivery rejected because its shop is not the merchant's belongs to no merchant (merchant_id NULL).

Revision ID: 0003_merchant_shop_domain
Revises: 0002_shopify
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_merchant_shop_domain"
down_revision: str | None = "0002_shopify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("merchants") as batch:
        batch.add_column(sa.Column("shop_domain", sa.String(length=255), nullable=True))
        batch.create_unique_constraint(op.f("uq_merchants_shop_domain"), ["shop_domain"])
    with op.batch_alter_table("shopify_webhook_deliveries") as batch:
        batch.alter_column("merchant_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # Rejected deliveries belong to no merchant and cannot be kept by the older schema.
    op.execute("DELETE FROM shopify_webhook_deliveries WHERE merchant_id IS NULL")
    with op.batch_alter_table("shopify_webhook_deliveries") as batch:
        batch.alter_column("merchant_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("merchants") as batch:
        batch.drop_constraint(op.f("uq_merchants_shop_domain"), type_="unique")
        batch.drop_column("shop_domain")
