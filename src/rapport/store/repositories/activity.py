"""Subscriptions and past support contacts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from rapport.domain.records import ContactRecord, SubscriptionRecord, UpsertOutcome
from rapport.store.models import Subscription, SupportContact, table_of
from rapport.store.upsert import domain_errors, upsert_rows


class SubscriptionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def upsert_many(self, *, merchant_id: int, records: Sequence[SubscriptionRecord]) -> UpsertOutcome:
        """Insert or update subscriptions by external id."""
        rows = [
            {
                "merchant_id": merchant_id,
                "external_id": r.external_id,
                "customer_id": r.customer_id,
                "status": r.status,
                "product": r.product,
                "price": r.price,
                "currency": r.currency,
                "next_billing_at": r.next_billing_at,
            }
            for r in records
        ]
        with domain_errors():
            return upsert_rows(self.session, table_of(Subscription), rows)


class ContactRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def upsert_many(self, *, merchant_id: int, records: Sequence[ContactRecord]) -> UpsertOutcome:
        """Insert or update past support contacts by external id."""
        rows = [
            {
                "merchant_id": merchant_id,
                "external_id": r.external_id,
                "customer_id": r.customer_id,
                "created_at": r.created_at,
                "intent": r.intent,
                "outcome": r.outcome,
                "granted_offer": r.granted_offer,
                "granted_amount": r.granted_amount,
                "granted_currency": r.granted_currency,
            }
            for r in records
        ]
        with domain_errors():
            return upsert_rows(self.session, table_of(SupportContact), rows)
