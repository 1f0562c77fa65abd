"""Merchants: the tenant every other row belongs to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rapport.store.models import Merchant


class MerchantRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_or_create(self, slug: str, *, currency: str = "USD", name: str | None = None) -> int:
        """The id of the merchant `slug`, created (with `currency`) when new; an existing one is unchanged."""
        found = self.id_of(slug)
        if found is not None:
            return found
        # A savepoint, so that losing a race with a concurrent creator leaves our transaction usable.
        try:
            with self.session.begin_nested():
                merchant = Merchant(slug=slug, name=name or slug, currency=currency.upper())
                self.session.add(merchant)
            return merchant.id
        except IntegrityError:
            found = self.id_of(slug)
            if found is None:
                raise
            return found

    def id_of(self, slug: str) -> int | None:
        """The id of the merchant `slug`, if it exists."""
        return self.session.scalar(select(Merchant.id).where(Merchant.slug == slug))

    def currency_of(self, merchant_id: int) -> str:
        """The merchant's currency (ISO 4217)."""
        return self.session.execute(select(Merchant.currency).where(Merchant.id == merchant_id)).scalar_one()
