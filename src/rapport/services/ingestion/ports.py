"""What the ingestion pipeline needs from the outside (JSONL, CSV exports, Shopify sync, webhooks).

Two kinds of port, both Protocols owned here and satisfied structurally:

- the repositories a unit of work offers for writing (`IngestionRepositories`; `rapport.store` implements
  them), which raise `rapport.domain.errors.RecordRefused` / `StoreUnavailable`, never a driver's error;
- the Shopify connector's parts (`ShopifyFeed` for the bulk sync, `WebhookVerifier` and `WebhookTranslator`
  for webhooks, `CsvExports` for the admin CSV exports), built by `rapport.bootstrap`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Protocol

from rapport.domain.records import (
    BulkLine,
    BulkOrder,
    ContactRecord,
    CustomerRecord,
    OrderRecord,
    StoredValues,
    SubscriptionRecord,
    UpsertOutcome,
)

# -- Store ------------------------------------------------------------------------------------------


class CustomerWrites(Protocol):
    def upsert_many(self, *, merchant_id: int, records: Sequence[CustomerRecord]) -> UpsertOutcome: ...
    def ids_by_external_id(self, *, merchant_id: int, external_ids: Iterable[str]) -> dict[str, int]: ...
    def owners_of_emails(self, *, merchant_id: int, emails: Iterable[str]) -> dict[str, str]: ...
    def ids_for_emails(self, *, merchant_id: int, emails: Iterable[str]) -> dict[str, int]: ...
    def count(self, *, merchant_id: int) -> int: ...


class OrderWrites(Protocol):
    """Orders as records (JSONL, sync, webhooks) or in the flat bulk form (CSV exports)."""

    def upsert_many(self, *, merchant_id: int, records: Sequence[OrderRecord]) -> UpsertOutcome: ...
    def values(self) -> StoredValues: ...
    def larger_cache(self) -> AbstractContextManager[None]: ...
    def load(self, *, merchant_id: int, orders: Sequence[BulkOrder], lines: Sequence[BulkLine]) -> int: ...


class SubscriptionWrites(Protocol):
    def upsert_many(self, *, merchant_id: int, records: Sequence[SubscriptionRecord]) -> UpsertOutcome: ...


class ContactWrites(Protocol):
    def upsert_many(self, *, merchant_id: int, records: Sequence[ContactRecord]) -> UpsertOutcome: ...


class SyncState(Protocol):
    """Where the last Shopify sync got to (read-only here: changes go through `save_sync_state`)."""

    @property
    def status(self) -> str: ...
    @property
    def mode(self) -> str: ...
    @property
    def bulk_url(self) -> str | None: ...
    @property
    def lines_done(self) -> int: ...
    @property
    def since(self) -> datetime | None: ...
    @property
    def watermark(self) -> datetime | None: ...
    @property
    def started_at(self) -> datetime | None: ...
    @property
    def finished_at(self) -> datetime | None: ...
    @property
    def customers_synced(self) -> int: ...
    @property
    def orders_synced(self) -> int: ...
    @property
    def last_error(self) -> str | None: ...


class StoredDelivery(Protocol):
    """A webhook delivery as stored."""

    @property
    def id(self) -> int: ...
    @property
    def merchant_id(self) -> int | None: ...  # None: rejected (from a shop no merchant of ours has)
    @property
    def topic(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any]: ...


class ShopifyState(Protocol):
    """Webhook deliveries, sync state, staleness, refunds and privacy deletions."""

    def updated_at_of(
        self, kind: Literal["customers", "orders"], *, merchant_id: int, external_ids: Iterable[str]
    ) -> dict[str, Any]: ...
    def insert_delivery(self, row: dict[str, Any]) -> int | None: ...
    def find_delivery(self, *, merchant_id: int, topic: str, delivery_key: str) -> StoredDelivery | None: ...
    def delivery(self, delivery_id: int) -> StoredDelivery | None: ...
    def mark_delivery(self, delivery_id: int, *, status: str, detail: str | None, at: datetime) -> None: ...
    def delete_customer(self, *, merchant_id: int, external_id: str | None, email: str | None) -> int: ...
    def scrub_deliveries(self, *, merchant_id: int, needles: Iterable[str], keep_id: int) -> int: ...
    def redact_delivery(self, delivery_id: int) -> None: ...
    def delete_merchant_data(self, *, merchant_id: int) -> None: ...
    def record_refund(self, *, merchant_id: int, order_external_id: str, refunded: Decimal) -> bool: ...
    def sync_state(self, *, merchant_id: int) -> SyncState | None: ...
    def save_sync_state(self, *, merchant_id: int, **values: Any) -> object: ...
    def count(
        self, kind: Literal["customers", "orders", "webhooks"], *, merchant_id: int, status: str | None = None
    ) -> int: ...


class IngestionRepositories(Protocol):
    """The part of a unit of work that ingestion uses (all order writes go through `bulk_orders`).

    Read-only members, so that a unit of work whose attributes are the concrete repositories matches."""

    @property
    def customers(self) -> CustomerWrites: ...
    @property
    def bulk_orders(self) -> OrderWrites: ...
    @property
    def subscriptions(self) -> SubscriptionWrites: ...
    @property
    def contacts(self) -> ContactWrites: ...
    @property
    def shopify(self) -> ShopifyState: ...


# -- Shopify connector ------------------------------------------------------------------------------


class SyncBatch(Protocol):
    """Records of the bulk result file up to `last_line`, cut where a customer starts."""

    @property
    def customers(self) -> Sequence[CustomerRecord]: ...
    @property
    def orders(self) -> Sequence[OrderRecord]: ...
    @property
    def last_line(self) -> int: ...
    @property
    def watermark(self) -> datetime | None: ...  # newest customer updated_at in the batch


class BulkRun(Protocol):
    @property
    def operation_id(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def expected(self) -> int: ...  # lines Shopify announced (for progress)


class ShopifyFeed(Protocol):
    """The shop's customers with their orders, as a bulk operation's result file (`connectors/shopify`)."""

    def start(self, *, updated_since: datetime | None) -> BulkRun: ...
    def batches(self, url: str, *, skip: int, batch_lines: int) -> Iterator[SyncBatch]: ...


class Delivery(Protocol):
    """One authentic webhook delivery."""

    @property
    def topic(self) -> str: ...
    @property
    def key(self) -> str: ...  # the same for every retry of one event
    @property
    def webhook_id(self) -> str: ...
    @property
    def shop_domain(self) -> str | None: ...  # X-Shopify-Shop-Domain
    @property
    def payload_shop_domain(self) -> str | None: ...  # the body's own `shop_domain`, where it has one
    @property
    def payload(self) -> dict[str, Any]: ...


class WebhookVerifier(Protocol):
    """Checks a delivery's signature and reads it (raises `RapportError`s with their codes)."""

    def verify(self, headers: Mapping[str, str], body: bytes) -> Delivery: ...


WebhookEffect = Literal["order", "customer", "refund", "redact_customer", "data_request", "redact_shop"]


class WebhookTranslator(Protocol):
    """What each topic means, and its payload as records."""

    def effect(self, topic: str) -> WebhookEffect | None: ...  # None: a topic Rapport does not handle
    def customer(self, payload: dict[str, Any]) -> CustomerRecord: ...
    def order(self, payload: dict[str, Any]) -> tuple[OrderRecord, CustomerRecord | None]: ...
    def refund(self, payload: dict[str, Any]) -> tuple[str, Decimal]: ...  # order external id, refunded
    def person(self, payload: dict[str, Any]) -> tuple[str | None, str | None]: ...  # external id, e-mail


class CsvExport(Protocol):
    """One opened admin export; bad rows go to its rejects file as they are met."""

    @property
    def encoding(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def rows(self) -> int: ...
    @property
    def rejected(self) -> int: ...
    @property
    def errors(self) -> list[tuple[int, str]]: ...
    @property
    def rejects_path(self) -> Path | None: ...  # None while no row was rejected
    def position(self) -> int: ...  # bytes read
    def customers(self) -> Iterator[CustomerRecord]: ...
    def order_chunks(
        self, values: StoredValues, *, in_child: bool
    ) -> AbstractContextManager[Iterator[tuple[list[BulkOrder], list[BulkLine], int]]]: ...  # + bytes read


class CsvExports(Protocol):
    """Shopify's admin CSV exports (`kind` customers or orders)."""

    def open(self, kind: str, path: Path) -> AbstractContextManager[CsvExport]: ...
    def can_parse_in_child(self) -> bool: ...
