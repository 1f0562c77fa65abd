"""One deployment, many merchants: the tenant a request acts for — its merchant, the policy in force for
it and the brand its replies speak with.

API processes are stateless: a policy saved through one process must be in force in every other at its
next request. So each lookup asks the store for the merchant and its newest policy version (one small
read), and only parsing the policy is cached, by (merchant, version).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from threading import Lock

from rapport.domain.errors import NotFound
from rapport.domain.merchant import Merchant
from rapport.drafting import BrandSettings
from rapport.policy import Policy
from rapport.services.policies import parse_stored
from rapport.services.ports import UnitOfWorkFactory


def brand_of(policy: Policy) -> BrandSettings:
    """The reply's brand voice from the policy's `brand:` section and `templates_dir`."""
    brand = policy.brand
    return BrandSettings(
        store_name=brand.store_name,
        agent_name=brand.agent_name,
        sign_off=brand.sign_off,
        locale=brand.locale,
        templates_dir=policy.templates_dir,
        support_email=brand.support_email,
        allowed_domains=tuple(brand.allowed_domains),
    )


def stored_policy(uow_factory: UnitOfWorkFactory, slug: str) -> Policy | None:
    """The newest policy version stored for the merchant `slug` (saved in the workspace), or None when
    the merchant or any stored version is missing."""
    with uow_factory() as uow:
        merchant = uow.merchants.find(slug)
        if merchant is None:
            return None
        stored = uow.policies.current(merchant_id=merchant.id)
    return None if stored is None else parse_stored(stored, merchant.slug)


@dataclass(frozen=True, slots=True)
class Tenant:
    """A merchant with the policy in force for it. `policy_version` None: the configured policy file."""

    merchant: Merchant
    policy: Policy
    brand: BrandSettings
    policy_version: int | None


class Tenants:
    """Finds the tenant of a merchant id, parsing each stored policy version once per process."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        *,
        default_policy: Policy,
    ) -> None:
        self._uow_factory = uow_factory
        self._default = default_policy
        self._parsed: dict[tuple[int, int], Policy] = {}
        self._lock = Lock()

    def get(self, merchant_id: int) -> Tenant:
        """The tenant of `merchant_id`; an unknown id raises `NotFound`."""
        with self._uow_factory() as uow:
            merchant = uow.merchants.get(merchant_id)
            if merchant is None:
                raise NotFound(f"no merchant {merchant_id}")
            version = uow.policies.current_version(merchant_id=merchant_id)
            policy = self._cached(merchant_id, version)
            if policy is None and version is not None:
                stored = uow.policies.get(merchant_id=merchant_id, version=version)
                assert stored is not None  # read in the same transaction as its number
                policy = parse_stored(stored, merchant.slug)
                with self._lock:
                    self._parsed[(merchant_id, version)] = policy
            uow.commit()  # a read, ended by COMMIT to keep the prepared statements (ports.UnitOfWork)
        policy = policy or self._default
        # Limits, budgets and amounts are in the policy's currency (as `open_merchant` keeps it).
        return Tenant(
            merchant=replace(merchant, currency=policy.currency),
            policy=policy,
            brand=brand_of(policy),
            policy_version=version,
        )

    def _cached(self, merchant_id: int, version: int | None) -> Policy | None:
        if version is None:
            return self._default
        with self._lock:
            return self._parsed.get((merchant_id, version))
