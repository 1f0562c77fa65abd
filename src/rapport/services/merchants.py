"""The merchant a use case works for: found (or created) once, with the currency its policy names."""

from __future__ import annotations

from dataclasses import replace

from rapport.domain.merchant import Merchant
from rapport.services.ports import UnitOfWorkFactory

# The services speak of "the merchant context": the stored merchant, with its id, slug and currency.
MerchantContext = Merchant


def open_merchant(uow_factory: UnitOfWorkFactory, *, slug: str, currency: str) -> MerchantContext:
    """The merchant `slug`, created when new; its stored currency follows the policy's.

    Limits, budgets and the customer card's amounts are all in the policy's currency, so the merchant
    row must agree with it (it once kept the currency of whichever command created it first).
    """
    with uow_factory() as uow:
        found = uow.merchants.find(slug)
        if found is None:
            found = uow.merchants.create(slug, currency=currency)
            uow.commit()
        elif found.currency != currency:
            uow.merchants.set_currency(found.id, currency)
            uow.commit()
            found = replace(found, currency=currency)
    return found
