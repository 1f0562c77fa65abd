"""The grant ledger: append-only (no method updates or deletes a row), every query scoped by merchant."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from rapport.domain import OfferKind
from rapport.domain.desk import Role
from rapport.engine.authority import GrantedSoFar, GrantEntry, GrantRecord
from rapport.store.database import WRITE_LOCK_UP_FRONT
from rapport.store.models import Grant
from rapport.store.repositories.customers import normalize_email
from rapport.store.repositories.profiles import contacts_granted_90d, ledger_granted_90d


class GrantRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_customer(self, *, merchant_id: int, email: str) -> None:
        """Serialize the grants of one customer until this transaction ends, so that two concurrent grants
        cannot both read the same 90-day sums and both pass the budget check.

        PostgreSQL: a transaction-scoped advisory lock keyed by merchant and e-mail (it also covers a
        guest, who has no customer row to lock). SQLite: nothing to take, because the caller's write unit
        of work began with BEGIN IMMEDIATE and holds the database's only write lock already; a deferred
        transaction here would be a bug, so it is refused rather than left to race."""
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(merchant_id, email)}
            )
        elif not connection.get_execution_options().get(WRITE_LOCK_UP_FRONT, False):
            raise RuntimeError("a grant needs a write unit of work (uow_factory(write=True))")

    def find_by_key(self, *, merchant_id: int, idempotency_key: str) -> GrantRecord | None:
        row = self.session.execute(
            select(Grant).where(Grant.merchant_id == merchant_id, Grant.idempotency_key == idempotency_key)
        ).scalar_one_or_none()
        return None if row is None else _record(row)

    def granted_90d(
        self, *, merchant_id: int, customer_id: int | None, email: str, now: datetime
    ) -> GrantedSoFar:
        """Refunds and credits of the 90 days before `now`: imported contacts plus the ledger."""
        refunds, credits = ledger_granted_90d(
            self.session, merchant_id=merchant_id, customer_id=customer_id, email=email, now=now
        )
        if customer_id is not None:
            contact_refunds, contact_credits = contacts_granted_90d(
                self.session, merchant_id=merchant_id, customer_id=customer_id, now=now
            )
            refunds, credits = refunds + contact_refunds, credits + contact_credits
        return GrantedSoFar(refunds=refunds, credits=credits)

    def add(self, *, merchant_id: int, entry: GrantEntry) -> GrantRecord:
        row = Grant(
            merchant_id=merchant_id,
            customer_id=entry.customer_id,
            email=normalize_email(entry.email),
            ticket_id=entry.ticket_id,
            order_id=entry.order_id,
            offer=entry.offer.value,
            amount=entry.amount,
            percent=entry.percent,
            currency=entry.currency,
            amount_in_policy_currency=entry.amount_in_policy_currency,
            granted_by_user_id=entry.granted_by_user_id,
            granted_by_label=entry.granted_by_label,
            role=entry.role.value,
            reason=entry.reason,
            idempotency_key=entry.idempotency_key,
            created_at=entry.created_at,
        )
        self.session.add(row)
        self.session.flush()
        return _record(row)

    def for_email(self, *, merchant_id: int, email: str) -> list[GrantRecord]:
        """Every grant to this e-mail, oldest first."""
        rows = self.session.execute(
            select(Grant)
            .where(Grant.merchant_id == merchant_id, Grant.email == normalize_email(email))
            .order_by(Grant.created_at, Grant.id)
        ).scalars()
        return [_record(row) for row in rows]


def _lock_key(merchant_id: int, email: str) -> int:
    """A signed 64-bit advisory lock key for (merchant, e-mail); a collision only makes two wait."""
    digest = hashlib.blake2b(f"rapport-grant:{merchant_id}:{normalize_email(email)}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def _record(row: Grant) -> GrantRecord:
    return GrantRecord(
        id=row.id,
        ticket_id=row.ticket_id,
        offer=OfferKind(row.offer),
        amount=row.amount,
        percent=row.percent,
        currency=row.currency,
        amount_in_policy_currency=row.amount_in_policy_currency,
        role=Role(row.role),
        granted_by=row.granted_by_label,
        reason=row.reason,
        created_at=row.created_at,
        email=row.email,
        order_id=row.order_id,
        granted_by_user_id=row.granted_by_user_id,
    )
