"""Merchants: created on purpose (`rapport init`, `rapport merchant add`), then opened by name with the
currency their policy names — a misspelt `RAPPORT_MERCHANT` is an error, never a new empty merchant."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from rapport.domain.errors import InvalidInput, RecordRefused, UnknownMerchant
from rapport.domain.merchant import Merchant, currency_code, merchant_slug
from rapport.domain.merchant import shop_domain as normal_shop_domain
from rapport.policy.loading import parse_policy
from rapport.schemas.policies import MAX_POLICY_CHARS
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
    currency: str | None = None,
    shop_domain: str | None = None,
    policy_source: str | None = None,
    policy_name: str = "policy",
    now: datetime | None = None,
) -> MerchantContext:
    """A new merchant `name` (`rapport merchant add`), bound to its Shopify shop when one is given.

    With `policy_source` (a policy's YAML text; `policy_name`, e.g. its file, names it in errors) the
    policy is validated first — a `PolicyError` with FILE:LINE creates nothing — and stored as the
    merchant's policy version 1, in the same transaction; the merchant's currency is then the policy's
    (a different `currency` is refused). A name or shop domain another merchant has is refused
    (`InvalidInput`), as are a malformed name, currency or domain.
    """
    slug = merchant_slug(name)
    code = currency_code(currency) if currency is not None else None
    domain = normal_shop_domain(shop_domain) if shop_domain is not None else None
    if policy_source is not None:
        if len(policy_source) > MAX_POLICY_CHARS:
            raise InvalidInput(f"{policy_name}: the policy is longer than {MAX_POLICY_CHARS:,} characters")
        policy_currency = parse_policy(policy_source, policy_name).currency
        if code is not None and code != policy_currency:
            raise InvalidInput(
                f"--currency {code} disagrees with the policy's currency {policy_currency} ({policy_name}); "
                "the merchant's currency is its policy's"
            )
        code = policy_currency
    with uow_factory(write=True) as uow:
        if uow.merchants.find(slug) is not None:
            raise InvalidInput(f"merchant {slug!r} already exists (`rapport merchant list` shows them)")
        if domain is not None:
            _free_shop_domain(uow.merchants, domain, for_slug=slug)
        created = uow.merchants.create(slug, currency=code or "USD", shop_domain=domain)
        if policy_source is not None:
            if now is None:
                raise ValueError("add_merchant: a policy is stored with the time it was saved (`now`)")
            try:
                uow.policies.add(
                    merchant_id=created.id,
                    source=policy_source,
                    author_id=None,
                    author_label="cli",
                    note=f"rapport merchant add --policy {policy_name}"[:500],
                    now=now,
                )
            except RecordRefused as exc:
                raise InvalidInput(f"{policy_name}: the policy cannot be stored: {exc.message}") from None
        uow.commit()
    return created


def list_merchants(uow_factory: UnitOfWorkFactory) -> list[MerchantContext]:
    """Every merchant in the store, by name."""
    with uow_factory() as uow:
        return uow.merchants.all()
