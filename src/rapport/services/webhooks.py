"""Shopify webhooks as a use case: accept (verify, bind to the merchant, store once, commit) and process
(apply, idempotently).

The API route calls `accept` in the request and `process` right after the response (Shopify wants an
answer within 5 seconds); `receive` does both (tests, embedded use). Verifying and reading a delivery and
what each topic means come from the connector (`WebhookVerifier`, `WebhookTranslator`); every change goes
through the ingestion writer, with the merchant's signal rules.

Shopify signs every shop's webhooks with the same app secret, so a valid signature does not say whose
data a delivery is. A delivery is applied only when its shop (`X-Shopify-Shop-Domain`, and the body's
own `shop_domain` where it has one: the two must agree) is the one this service's merchant is bound to;
any other is stored as `rejected` — its headers and the reason, not the other shop's data — and
changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rapport.domain.errors import InvalidInput, RapportError
from rapport.domain.merchant import shop_domain as normal_shop_domain
from rapport.domain.signals import SignalRules
from rapport.policy import Policy
from rapport.services.ingestion.ports import Delivery, WebhookTranslator, WebhookVerifier
from rapport.services.ingestion.writer import IngestionWriter
from rapport.services.merchants import MerchantContext
from rapport.services.ports import UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class Receipt:
    """What happened to a delivery: `stored` (new), `duplicate` (seen before), `rejected` (another shop's:
    stored as rejected, changed nothing) — and its row id."""

    outcome: str
    delivery_id: int | None
    topic: str
    status: str  # received, processed, ignored, failed, rejected

    @property
    def needs_processing(self) -> bool:
        return self.delivery_id is not None and self.status in ("received", "failed")


class WebhookService:
    """Verifies, binds to its merchant, stores once and processes the webhooks of one merchant's shop."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        *,
        merchant: MerchantContext,
        verifier: WebhookVerifier,
        topics: WebhookTranslator,
        rules: SignalRules,
        clock: Callable[[], datetime],
        policy: Policy | None = None,  # the configured one: follow-up rules when none is stored
    ) -> None:
        self.uow_factory = uow_factory
        self.policy = policy
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
        `StoreUnavailable`, so that the sender retries: a valid webhook is stored or retried, never lost.

        A delivery from a shop that is not this merchant's is stored as `rejected` (without its body)."""
        delivery = self.verifier.verify(headers, body)
        with self.uow_factory(write=True) as uow:
            why_not = self._not_ours(uow, delivery)
            if why_not is not None:
                row_id = uow.shopify.insert_delivery(
                    self._row(delivery, merchant_id=None, payload={}, status="rejected", detail=why_not)
                )
                uow.commit()
                return Receipt("rejected", row_id, delivery.topic, "rejected")
            row_id = uow.shopify.insert_delivery(
                self._row(delivery, merchant_id=self.merchant.id, payload=delivery.payload)
            )
            if row_id is not None:
                uow.commit()
                return Receipt("stored", row_id, delivery.topic, "received")
            seen = uow.shopify.find_delivery(
                merchant_id=self.merchant.id, topic=delivery.topic, delivery_key=delivery.key
            )
            found_id, status = (seen.id, seen.status) if seen else (None, "processed")
        return Receipt("duplicate", found_id, delivery.topic, status)

    def _not_ours(self, uow: UnitOfWork, delivery: Delivery) -> str | None:
        """Why the delivery is not this merchant's to apply, or None when it is."""
        if not delivery.shop_domain:
            return "no X-Shopify-Shop-Domain header: the shop is unknown"
        try:
            shop = normal_shop_domain(delivery.shop_domain)
        except InvalidInput as exc:
            return f"X-Shopify-Shop-Domain: {exc.message}"
        named = delivery.payload_shop_domain
        if named is not None and named.strip().lower() != shop:
            return f"the body's shop_domain {named[:255]!r} is not the X-Shopify-Shop-Domain {shop}"
        owner = uow.merchants.find_by_shop_domain(shop)
        if owner is None:
            return f"shop {shop} is no merchant's (bind it: `rapport merchant add NAME --shop-domain {shop}`)"
        if owner.id != self.merchant.id:
            return f"shop {shop} is merchant {owner.slug!r}'s, not {self.merchant.slug!r}'s (served here)"
        return None

    def _row(
        self,
        delivery: Delivery,
        *,
        merchant_id: int | None,
        payload: dict[str, Any],
        status: str = "received",
        detail: str | None = None,
    ) -> dict[str, Any]:
        now = self.clock()
        return {
            "merchant_id": merchant_id,
            "delivery_key": delivery.key,
            "webhook_id": delivery.webhook_id,
            "topic": delivery.topic,
            "shop_domain": delivery.shop_domain,
            "received_at": now,
            "payload": payload,
            "status": status,
            "detail": detail,
            "processed_at": now if status == "rejected" else None,
        }

    def process(self, delivery_id: int) -> Receipt:
        """Apply a stored delivery to the store, once; its status records the result."""
        with self.uow_factory(write=True) as uow:
            row = uow.shopify.delivery(delivery_id)
            if row is None or row.status in ("processed", "ignored"):
                # Processed already: processing it again changes nothing (not even its status).
                status = row.status if row else "processed"
                return Receipt("duplicate", delivery_id, row.topic if row else "", status)
            if row.status == "rejected" or row.merchant_id != self.merchant.id:
                return Receipt("rejected", delivery_id, row.topic, row.status)
            topic, merchant_id, payload = row.topic, self.merchant.id, dict(row.payload)
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
        writer = IngestionWriter(
            uow,
            merchant_id=merchant_id,
            currency=self.merchant.currency,
            now=self.clock(),
            rules=self.rules,
            policy=self.policy,
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
            uow.shopify.redact_delivery(delivery_id)  # the request itself names the customer too
            return f"customer redacted: {deleted} row(s) deleted, {scrubbed} stored payload(s) scrubbed"
        if effect == "data_request":
            # Rapport cannot mail the merchant: the request stays on the delivery (`rapport shopify status`).
            who, _ = self.topics.person(payload)
            return f"data request for customer {who}: export with `rapport profile EMAIL --json`"
        uow.shopify.delete_merchant_data(merchant_id=merchant_id)
        return "merchant deleted"
