"""Merchants: the tenant every other row belongs to."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rapport.domain.merchant import Merchant
from rapport.store.models import Merchant as MerchantModel


class MerchantRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, slug: str) -> Merchant | None:
        """The merchant `slug`, if it exists."""
        row = self.session.execute(
            select(MerchantModel.id, MerchantModel.slug, MerchantModel.currency).where(
                MerchantModel.slug == slug
            )
        ).first()
        return None if row is None else Merchant(id=row.id, slug=row.slug, currency=row.currency)

    def create(self, slug: str, *, currency: str, name: str | None = None) -> Merchant:
        """A new merchant; losing a race with a concurrent creator returns the winner's row."""
        try:
            # A savepoint, so that losing the race leaves our transaction usable.
            with self.session.begin_nested():
                merchant = MerchantModel(slug=slug, name=name or slug, currency=currency.upper())
                self.session.add(merchant)
            return Merchant(id=merchant.id, slug=slug, currency=merchant.currency)
        except IntegrityError:
            found = self.find(slug)
            if found is None:
                raise
            return found

    def set_currency(self, merchant_id: int, currency: str) -> None:
        """Record the currency the merchant's policy names (limits and amounts are in it)."""
        self.session.execute(
            update(MerchantModel).where(MerchantModel.id == merchant_id).values(currency=currency)
        )

    def get_or_create(self, slug: str, *, currency: str = "USD", name: str | None = None) -> int:
        """The id of the merchant `slug`, created when new (used by store-level tests and bulk loaders)."""
        found = self.find(slug)
        return found.id if found is not None else self.create(slug, currency=currency, name=name).id

    def id_of(self, slug: str) -> int | None:
        """The id of the merchant `slug`, if it exists."""
        found = self.find(slug)
        return None if found is None else found.id

    def currency_of(self, merchant_id: int) -> str:
        """The merchant's currency (ISO 4217)."""
        return self.session.execute(
            select(MerchantModel.currency).where(MerchantModel.id == merchant_id)
        ).scalar_one()
