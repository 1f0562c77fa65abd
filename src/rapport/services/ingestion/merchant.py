"""The merchant an ingestion use case writes for: a resolved `MerchantContext`, or its slug."""

from __future__ import annotations

from rapport.services.merchants import MerchantContext
from rapport.services.ports import UnitOfWork

# Entrypoints pass `Rapport.merchant` (resolved once, with the policy's currency); tests and scripts may
# pass a slug, found in the store or created (in USD, as `rapport init` does without a policy).
Merchant = MerchantContext | str


def merchant_of(uow: UnitOfWork, merchant: Merchant) -> tuple[int, str]:
    """(row id, currency) of the merchant, created inside `uow` when a new slug is given."""
    if not isinstance(merchant, str):
        return merchant.id, merchant.currency
    found = uow.merchants.find(merchant)
    if found is None:
        found = uow.merchants.create(merchant, currency="USD")
    return found.id, found.currency
