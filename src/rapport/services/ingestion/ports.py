"""The repositories the ingestion pipeline writes through (JSONL, CSV exports, Shopify sync, webhooks)."""

from __future__ import annotations

from typing import Any, Protocol


class IngestionRepositories(Protocol):
    """The part of a unit of work that ingestion uses."""

    customers: Any
    bulk_orders: Any
    subscriptions: Any
    contacts: Any
    shopify: Any
