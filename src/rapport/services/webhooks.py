"""Shopify webhooks as a use case: accept (verify, store once, commit) and process (apply, idempotently).

The API route calls `accept` in the request and `process` right after the response (Shopify wants an
answer within 5 seconds); `receive` does both (tests, embedded use). Verifying and reading a delivery and
what each topic means come from the connector (`WebhookVerifier`, `WebhookTranslator`); every change goes
through the ingestion writer, with the merchant's signal rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rapport.domain.errors import RapportError
from rapport.domain.signals import SignalRules
from rapport.services.ingestion.merchant import Merchant, merchant_of
from rapport.services.ingestion.ports import WebhookTranslator, WebhookVerifier
from rapport.services.ingestion.writer import IngestionWriter
from rapport.services.ports import UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class Receipt:
    """What happened to a delivery: `stored` (new), `duplicate` (seen before) — and its row id."""

    outcome: str
    delivery_id: int | None
    topic: str
    status: str  # received, processed, ignored, failed

    @property
    def needs_processing(self) -> bool:
        return self.delivery_id is not None and self.status in ("received", "failed")


class WebhookService:
    """Verifies, stores once and processes webhooks for one merchant."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        *,
        merchant: Merchant,
        verifier: WebhookVerifier,
        topics: WebhookTranslator,
        rules: SignalRules,
        clock: Callable[[], datetime],
    ) -> None:
        self.uow_factory = uow_factory
        self.merchant = merchant
        self.verifier = verifier
        self.topics = topics
        self.rules = rules
        self.clock = clock

    def receive(self, headers: Mapping[str, str], body: bytes) -> Receipt:
        """Accept then process at once."""
        receipt = self.accept(headers, body)
        return self.process(receipt.delivery_id) if receipt.needs_processing else receipt  # type: ignore[arg-type]

    def accept(self, headers: Mapping[str, str], body: bytes) -> Receipt:
        """Verify and store the delivery (committed). A store that cannot take it raises
        `StoreUnavailable`, so that the sender retries: a valid webhook is stored or retried, never lost."""
        delivery = self.verifier.verify(headers, body)
        with self.uow_factory(write=True) as uow:
            merchant_id, _ = merchant_of(uow, self.merchant)
            row_id = uow.shopify.insert_delivery(
                {
                    "merchant_id": merchant_id,
                    "delivery_key": delivery.key,
                    "webhook_id": delivery.webhook_id,
                    "topic": delivery.topic,
                    "shop_domain": delivery.shop_domain,
                    "received_at": self.clock(),
                    "payload": delivery.payload,
                    "status": "received",
                },
            )
            if row_id is not None:
                uow.commit()
                return Receipt("stored", row_id, delivery.topic, "received")
            seen = uow.shopify.find_delivery(
                merchant_id=merchant_id, topic=delivery.topic, delivery_key=delivery.key
            )
            found_id, status = (seen.id, seen.status) if seen else (None, "processed")
        return Receipt("duplicate", found_id, delivery.topic, status)

    def process(self, delivery_id: int) -> Receipt:
        """Apply a stored delivery to the store, once; its status records the result."""
        with self.uow_factory(write=True) as uow:
            row = uow.shopify.delivery(delivery_id)
            if row is None or row.status in ("processed", "ignored"):
                status = row.status if row else "processed"
                return Receipt("duplicate", delivery_id, row.topic if row else "", status)
            topic, merchant_id, payload = row.topic, row.merchant_id, dict(row.payload)
            if self.topics.effect(topic) is None:
                uow.shopify.mark_delivery(
                    delivery_id, status="ignored", detail=f"topic {topic!r} is not handled", at=self.clock()
                )
                uow.commit()
                return Receipt("stored", delivery_id, topic, "ignored")
            try:
                detail = self._apply(uow, topic, merchant_id, payload, delivery_id)
            except Exception as exc:  # noqa: BLE001 - recorded on the delivery; a later retry reprocesses it
                uow.rollback()
                why = f"{exc.code}: {exc.message}" if isinstance(exc, RapportError) else repr(exc)
                uow.shopify.mark_delivery(delivery_id, status="failed", detail=why[:500], at=self.clock())
                uow.commit()
                return Receipt("stored", delivery_id, topic, "failed")
            if detail != "merchant deleted":
                uow.shopify.mark_delivery(delivery_id, status="processed", detail=detail, at=self.clock())
            uow.commit()
        return Receipt("stored", delivery_id, topic, "processed")

    def _apply(
        self, uow: UnitOfWork, topic: str, merchant_id: int, payload: dict[str, Any], delivery_id: int
    ) -> str:
        """One delivery's change; returns a one-line description (stored on the delivery)."""
        effect = self.topics.effect(topic)
        _, currency = merchant_of(uow, self.merchant)
        writer = IngestionWriter(
            uow, merchant_id=merchant_id, currency=currency, now=self.clock(), rules=self.rules
        )
        if effect == "order":
            order, embedded = self.topics.order(payload)
            if embedded is not None and embedded.external_id:
                # The embedded customer is a snapshot; it only fills in a customer we do not know yet.
                known = uow.customers.ids_by_external_id(
                    merchant_id=merchant_id, external_ids=[embedded.external_id]
                )
                if not known:
                    writer.customers([embedded])
            written = writer.orders([order])
            return f"order {order.name} stored" if written.ids else f"stale update of {order.name} ignored"
        if effect == "customer":
            result = writer.customers([self.topics.customer(payload)])
            if result.refused:
                return f"customer refused: {result.refused[0][1]}"
            return "customer stored" if result.row_ids else "stale update ignored"
        if effect == "refund":
            order_id, refunded = self.topics.refund(payload)
            found = uow.shopify.record_refund(
                merchant_id=merchant_id, order_external_id=order_id, refunded=refunded
            )
            return (
                f"refund of {refunded} on order {order_id} recorded"
                if found
                else f"order {order_id} not stored yet"
            )
        if effect == "redact_customer":
            external_id, email = self.topics.person(payload)
            deleted = uow.shopify.delete_customer(
                merchant_id=merchant_id, external_id=external_id, email=email
            )
            scrubbed = uow.shopify.scrub_deliveries(
                merchant_id=merchant_id,
                needles=[email or "", f'"id": {external_id}' if external_id else ""],
                keep_id=delivery_id,
            )
            return f"customer redacted: {deleted} row(s) deleted, {scrubbed} stored payload(s) scrubbed"
        if effect == "data_request":
            # Rapport cannot mail the merchant: the request stays on the delivery (`rapport shopify status`).
            who, _ = self.topics.person(payload)
            return f"data request for customer {who}: export with `rapport profile EMAIL --json`"
        uow.shopify.delete_merchant_data(merchant_id=merchant_id)
        return "merchant deleted"
