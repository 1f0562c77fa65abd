"""Customers and their tags."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from rapport.domain.records import CustomerRecord, UpsertOutcome
from rapport.store.models import Customer, CustomerTag, table_of
from rapport.store.upsert import domain_errors, existing_ids, insert_rows, upsert_rows


def normalize_email(email: str) -> str:
    """E-mail as stored and compared: trimmed, lowercased."""
    return email.strip().lower()


class CustomerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def upsert_many(self, *, merchant_id: int, records: Sequence[CustomerRecord]) -> UpsertOutcome:
        """Insert or update customers by external id; tags are replaced by the record's.

        Raises `RecordRefused` when the database refuses one (e.g. an e-mail another customer has)."""
        with domain_errors():
            return self._upsert_many(merchant_id, records)

    def _upsert_many(self, merchant_id: int, records: Sequence[CustomerRecord]) -> UpsertOutcome:
        rows = [_row(merchant_id, r) for r in records]
        outcome = upsert_rows(self.session, table_of(Customer), rows)
        tags = {
            str(r.external_id): r.tags for r in records
        }  # the last record of an id wins, as in the upsert
        stale = [outcome.ids[ext] for ext in outcome.existing]
        if stale:
            self.session.execute(delete(CustomerTag).where(CustomerTag.customer_id.in_(stale)))
        tag_rows = [
            {"customer_id": outcome.ids[ext], "tag": tag, "merchant_id": merchant_id}
            for ext, names in tags.items()
            for tag in dict.fromkeys(names)
        ]
        if tag_rows:
            insert_rows(self.session, table_of(CustomerTag), tag_rows)
        return outcome

    def ids_by_external_id(self, *, merchant_id: int, external_ids: Iterable[str]) -> dict[str, int]:
        """Row ids of the merchant's customers with these external ids (unknown ones are absent)."""
        return existing_ids(
            self.session, table_of(Customer), merchant_id=merchant_id, external_ids=list(external_ids)
        )

    def owners_of_emails(self, *, merchant_id: int, emails: Iterable[str]) -> dict[str, str]:
        """For each of these (normalized) e-mails already in use: the external id of its customer."""
        wanted = set(emails)
        if not wanted:
            return {}
        query = select(Customer.email, Customer.external_id).where(
            Customer.merchant_id == merchant_id, Customer.email.in_(wanted)
        )
        return {email: ext for email, ext in self.session.execute(query) if email is not None}

    def ids_for_emails(self, *, merchant_id: int, emails: Iterable[str]) -> dict[str, int]:
        """For each of these (normalized) e-mails in use: the row id of its customer."""
        wanted = set(emails)
        if not wanted:
            return {}
        query = select(Customer.email, Customer.id).where(
            Customer.merchant_id == merchant_id, Customer.email.in_(wanted)
        )
        return {email: row_id for email, row_id in self.session.execute(query) if email is not None}

    def id_for_email(self, *, merchant_id: int, email: str) -> int | None:
        """The row id of the merchant's customer with this e-mail (case-insensitive)."""
        query = select(Customer.id).where(
            Customer.merchant_id == merchant_id, Customer.email == normalize_email(email)
        )
        return self.session.scalar(query)

    def emails_tagged(self, *, merchant_id: int, tag: str) -> list[str]:
        """E-mails of the merchant's customers carrying `tag`, sorted."""
        query = (
            select(Customer.email)
            .join(CustomerTag, CustomerTag.customer_id == Customer.id)
            .where(CustomerTag.merchant_id == merchant_id, CustomerTag.tag == tag)
            .order_by(Customer.email)
        )
        return [email for email in self.session.scalars(query) if email is not None]

    def emails_page(self, *, merchant_id: int, after: str | None, limit: int) -> list[str]:
        """Up to `limit` of the merchant's customer e-mails after `after`, in order (keyset pages)."""
        query = select(Customer.email).where(Customer.merchant_id == merchant_id, Customer.email.is_not(None))
        if after is not None:
            query = query.where(Customer.email > after)
        query = query.order_by(Customer.email).limit(limit)
        return [email for email in self.session.scalars(query) if email is not None]

    def count(self, *, merchant_id: int) -> int:
        """How many customers the merchant has."""
        query = select(func.count()).select_from(Customer).where(Customer.merchant_id == merchant_id)
        return self.session.execute(query).scalar_one()


def _row(merchant_id: int, r: CustomerRecord) -> dict[str, object]:
    return {
        "merchant_id": merchant_id,
        "external_id": r.external_id,
        "email": None if r.email is None else normalize_email(r.email),
        "first_name": r.first_name,
        "last_name": r.last_name,
        "locale": r.locale,
        "created_at": r.created_at,
        "loyalty_tier": r.loyalty_tier,
        "loyalty_points": r.loyalty_points,
        "accepts_marketing": r.accepts_marketing,
        "updated_at": r.updated_at,
    }
