"""The Shopify connector's tables, on the store's `Base`: webhook deliveries and sync state.

Created by migration `0002_shopify` (rapport/store/migrations/versions/0002_shopify.py); `0003` lets a
rejected delivery belong to no merchant.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rapport.store.models import Base


class WebhookDelivery(Base):
    """One webhook as Shopify delivered it, stored once (retries hit the unique key) before processing."""

    __tablename__ = "shopify_webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("merchant_id", "topic", "delivery_key"),
        Index(None, "merchant_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: rejected, from a shop that is not this merchant's (unknown, or another merchant's); such a
    # delivery keeps its headers and why it was rejected, not the other shop's data.
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"))
    delivery_key: Mapped[str] = mapped_column(String(100))  # X-Shopify-Event-Id, else X-Shopify-Webhook-Id
    webhook_id: Mapped[str] = mapped_column(String(100))
    topic: Mapped[str] = mapped_column(String(60))
    shop_domain: Mapped[str | None] = mapped_column(String(255))
    received_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20))  # received, processed, ignored, failed, rejected
    processed_at: Mapped[datetime | None]
    detail: Mapped[str | None] = mapped_column(Text)


class SyncState(Base):
    """Where the last sync of a shop got to: the bulk operation, the line reached, the watermark."""

    __tablename__ = "shopify_sync_state"

    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))  # running, completed, failed
    mode: Mapped[str] = mapped_column(String(20))  # full, incremental
    bulk_operation_id: Mapped[str | None] = mapped_column(String(100))
    bulk_url: Mapped[str | None] = mapped_column(Text)
    lines_done: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    since: Mapped[datetime | None]  # the watermark this run started from (incremental)
    watermark: Mapped[datetime | None]  # newest updatedAt seen by the last completed run
    customers_synced: Mapped[int] = mapped_column(Integer, default=0)
    orders_synced: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
