"""Merchants: the tenant every other row belongs to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rapport.domain.errors import RecordRefused
from rapport.domain.merchant import Merchant
from rapport.store.models import Merchant as MerchantModel
from rapport.store.upsert import domain_errors

_COLUMNS = (MerchantModel.id, MerchantModel.slug, MerchantModel.currency, MerchantModel.shop_domain)
_BY_ID = select(*_COLUMNS).where(MerchantModel.id == bindparam("merchant_id"))  # every request: built once


def _merchant(row: Any) -> Merchant:
    return Merchant(id=row.id, slug=row.slug, currency=row.currency, shop_domain=row.shop_domain)


class MerchantRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, slug: str) -> Merchant | None:
        """The merchant `slug`, if it exists."""
        row = self.session.execute(select(*_COLUMNS).where(MerchantModel.slug == slug)).first()
        return None if row is None else _merchant(row)

    def get(self, merchant_id: int) -> Merchant | None:
        """The merchant with this row id, if it exists."""
        row = self.session.execute(_BY_ID, {"merchant_id": merchant_id}).first()
        return None if row is None else _merchant(row)

    def find_by_shop_domain(self, shop_domain: str) -> Merchant | None:
        """The merchant whose Shopify shop is `shop_domain` (as stored: lower case), if any."""
        row = self.session.execute(select(*_COLUMNS).where(MerchantModel.shop_domain == shop_domain)).first()
        return None if row is None else _merchant(row)

    def all(self) -> list[Merchant]:
        """Every merchant, by name."""
        return [
            _merchant(row) for row in self.session.execute(select(*_COLUMNS).order_by(MerchantModel.slug))
        ]

    def create(
        self, slug: str, *, currency: str, name: str | None = None, shop_domain: str | None = None
    ) -> Merchant:
        """A new merchant; losing a race with a concurrent creator of `slug` returns the winner's row.

        A shop domain another merchant has raises `RecordRefused` (the transaction stays usable)."""
        try:
            # A savepoint, so that losing the race leaves our transaction usable.
            with self.session.begin_nested():
                merchant = MerchantModel(
                    slug=slug, name=name or slug, currency=currency.upper(), shop_domain=shop_domain
                )
                self.session.add(merchant)
            return Merchant(id=merchant.id, slug=slug, currency=merchant.currency, shop_domain=shop_domain)
        except IntegrityError as exc:
            found = self.find(slug)
            if found is None:
                raise RecordRefused(
                    f"merchant {slug!r} cannot be created: shop domain {shop_domain!r} belongs to another "
                    "merchant"
                ) from exc
            return found

    def set_currency(self, merchant_id: int, currency: str) -> None:
        """Record the currency the merchant's policy names (limits and amounts are in it)."""
        self.session.execute(
            update(MerchantModel).where(MerchantModel.id == merchant_id).values(currency=currency)
        )

    def set_shop_domain(self, merchant_id: int, shop_domain: str) -> None:
        """Bind the merchant to its Shopify shop (its webhooks are then applied to it); a domain another
        merchant has raises `RecordRefused`."""
        with domain_errors():
            self.session.execute(
                update(MerchantModel).where(MerchantModel.id == merchant_id).values(shop_domain=shop_domain)
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
