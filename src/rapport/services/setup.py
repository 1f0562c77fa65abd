"""`init`: a store migrated to the newest schema, the merchant in it, and a policy file to edit."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rapport.policy import default_policy_text, load_policy
from rapport.services.merchants import MerchantContext, open_merchant
from rapport.services.ports import UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class InitResult:
    merchant: MerchantContext
    policy_path: Path
    policy_written: bool  # False when a policy file was already there (it is never overwritten)


def initialize(
    uow_factory: UnitOfWorkFactory, *, merchant: str, policy_path: Path, shop_domain: str | None = None
) -> InitResult:
    """Write the default policy if there is none, then create the merchant with that policy's currency,
    bound to its Shopify shop when `shop_domain` (`RAPPORT_SHOPIFY_SHOP`) is given.

    An existing policy file is kept as it is, and must be valid (its currency names the merchant's).
    `init` is the one command that creates the configured merchant; every other one refuses an unknown
    merchant (`UnknownMerchant`).
    """
    written = not policy_path.exists()
    if written:
        policy_path.write_text(default_policy_text(), encoding="utf-8")
    policy = load_policy(policy_path)
    context = open_merchant(
        uow_factory, slug=merchant, currency=policy.currency, create=True, shop_domain=shop_domain or None
    )
    return InitResult(merchant=context, policy_path=policy_path, policy_written=written)
