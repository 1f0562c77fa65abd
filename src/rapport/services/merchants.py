"""Merchants: created on purpose (`rapport init`, `rapport merchant add`), then opened by name with the
currency their policy names — a misspelt `RAPPORT_MERCHANT` is an error, never a new empty merchant."""

from __future__ import annotations

from dataclasses import replace

from rapport.domain.errors import InvalidInput, UnknownMerchant
from rapport.domain.merchant import Merchant, currency_code, merchant_slug
from rapport.domain.merchant import shop_domain as normal_shop_domain
from rapport.services.ports import MerchantRepository, UnitOfWorkFactory

# The services speak of "the merchant context": the stored merchant, with its id, slug and currency.
MerchantContext = Merchant


def unknown_merchant(slug: str) -> UnknownMerchant:
    return UnknownMerchant(
        f"merchant {slug!r} does not exist: create it with `rapport init` (for RAPPORT_MERCHANT) or "
        f"`rapport merchant add {slug}`; `rapport merchant list` shows the merchants"
    )


def _free_shop_domain(merchants: MerchantRepository, domain: str, *, for_slug: str) -> None:
    """Refuse a shop domain another merchant is bound to (each shop's webhooks go to one merchant)."""
    owner = merchants.find_by_shop_domain(domain)
    if owner is not None and owner.slug != for_slug:
        raise InvalidInput(f"shop domain {domain} already belongs to merchant {owner.slug!r}")


def open_merchant(
    uow_factory: UnitOfWorkFactory,
    *,
    slug: str,
    currency: str,
    create: bool,
    shop_domain: str | None = None,
) -> MerchantContext:
    """The merchant `slug`; its stored currency follows the policy's.

    An unknown merchant raises `UnknownMerchant`, unless `create` (`rapport init`, tests, the demo): then
    it is created, bound to `shop_domain` when one is given. An existing merchant without a shop is
    bound to `shop_domain`; one bound to another shop is refused (`InvalidInput`) rather than rebound.

    Limits, budgets and the customer card's amounts are all in the policy's currency, so the merchant
    row must agree with it (it once kept the currency of whichever command created it first).
    """
    domain = normal_shop_domain(shop_domain) if shop_domain else None
    with uow_factory(write=create or domain is not None) as uow:
        found = uow.merchants.find(slug)
        changed = False
        if found is None:
            if not create:
                raise unknown_merchant(slug)
            if domain is not None:
                _free_shop_domain(uow.merchants, domain, for_slug=slug)
            found = uow.merchants.create(merchant_slug(slug), currency=currency, shop_domain=domain)
            changed = True
        if domain is not None and found.shop_domain != domain:
            if found.shop_domain is not None:
                raise InvalidInput(
                    f"merchant {slug!r} is bound to shop {found.shop_domain}, not {domain} "
                    "(RAPPORT_SHOPIFY_SHOP names another shop)"
                )
            _free_shop_domain(uow.merchants, domain, for_slug=slug)
            uow.merchants.set_shop_domain(found.id, domain)
            found = replace(found, shop_domain=domain)
            changed = True
        if found.currency != currency:
            uow.merchants.set_currency(found.id, currency)
            found = replace(found, currency=currency)
            changed = True
        if changed:
            uow.commit()
    return found


def add_merchant(
    uow_factory: UnitOfWorkFactory,
    *,
    name: str,
    currency: str = "USD",
    shop_domain: str | None = None,
) -> MerchantContext:
    """A new merchant `name` (`rapport merchant add`), bound to its Shopify shop when one is given.

    A name or shop domain another merchant has is refused (`InvalidInput`), as are a malformed name,
    currency or domain. The currency follows the merchant's policy from the first command that opens it.
    """
    slug = merchant_slug(name)
    code = currency_code(currency)
    domain = normal_shop_domain(shop_domain) if shop_domain is not None else None
    with uow_factory(write=True) as uow:
        if uow.merchants.find(slug) is not None:
            raise InvalidInput(f"merchant {slug!r} already exists (`rapport merchant list` shows them)")
        if domain is not None:
            _free_shop_domain(uow.merchants, domain, for_slug=slug)
        created = uow.merchants.create(slug, currency=code, shop_domain=domain)
        uow.commit()
    return created


def list_merchants(uow_factory: UnitOfWorkFactory) -> list[MerchantContext]:
    """Every merchant in the store, by name."""
    with uow_factory() as uow:
        return uow.merchants.all()
