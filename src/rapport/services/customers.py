"""The customer card: what Rapport knows about a customer before answering."""

from __future__ import annotations

from datetime import datetime

from rapport.domain import CustomerProfile
from rapport.services.merchants import MerchantContext
from rapport.services.ports import UnitOfWorkFactory


def customer_card(
    uow_factory: UnitOfWorkFactory, *, merchant: MerchantContext, email: str, now: datetime
) -> CustomerProfile:
    """The profile of the merchant's customer with this e-mail as of `now` (a guest when unknown)."""
    with uow_factory() as uow:
        return uow.profiles.get_profile(merchant_id=merchant.id, email=email, now=now)
