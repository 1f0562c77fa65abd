"""The composition root: the one place that reads settings and builds what the use cases run on.

The CLI, the API, the demo and the worker all call `build(settings)` and hand the parts to services;
nothing else reads `Settings`, opens an engine, loads the policy or picks a drafter. A bad or missing
policy fails here, loudly and the same way for every entrypoint (`PolicyError`, `InvalidInput`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from rapport.config import Settings
from rapport.domain.errors import InvalidInput
from rapport.drafting import BrandSettings, Drafter, TemplateDrafter
from rapport.llm import LLMDrafter, LLMSettings
from rapport.policy import Policy, load_policy
from rapport.services.merchants import MerchantContext, open_merchant
from rapport.services.ports import UnitOfWorkFactory
from rapport.understanding import IntentClassifier
from rapport.understanding.reading import default_classifier


def policy_at(path: Path) -> Policy:
    """The merchant policy in `path`; a missing file is an input error that says how to get one."""
    if not path.exists():
        raise InvalidInput(
            f"policy file {path} does not exist (run `rapport init` to write the default policy, "
            "or set RAPPORT_POLICY_PATH)"
        )
    return load_policy(path)


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
    )


def llm_settings(settings: Settings) -> LLMSettings | None:
    """The LLM endpoint, or None when replies come from templates only (the key stays a SecretStr)."""
    if not settings.llm_base_url:
        return None
    return LLMSettings(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key,
        timeout=settings.llm_timeout_seconds,
    )


@dataclass
class Rapport:
    """Everything a use case may need, built lazily (a CLI command pays only for what it uses)."""

    settings: Settings
    policy_override: Path | None = None
    _uow_factory: UnitOfWorkFactory | None = None
    _policy: Policy | None = None

    @property
    def merchant_slug(self) -> str:
        return self.settings.merchant

    @cached_property
    def policy(self) -> Policy:
        if self._policy is not None:
            return self._policy
        return policy_at(self.policy_override or self.settings.policy_path)

    @cached_property
    def uow_factory(self) -> UnitOfWorkFactory:
        """Units of work on the configured store, migrated to the newest schema on first use."""
        if self._uow_factory is not None:
            return self._uow_factory
        from rapport.store.unit_of_work import units_of_work

        return units_of_work(self.settings.database_url)

    @cached_property
    def merchant(self) -> MerchantContext:
        """The configured merchant, created on first use with the policy's currency."""
        return open_merchant(self.uow_factory, slug=self.settings.merchant, currency=self.policy.currency)

    @cached_property
    def classifier(self) -> IntentClassifier:
        return default_classifier()

    @cached_property
    def drafter(self) -> Drafter:
        llm = llm_settings(self.settings)
        return LLMDrafter(llm) if llm is not None else TemplateDrafter()

    @cached_property
    def brand(self) -> BrandSettings:
        return brand_of(self.policy)


def build(
    settings: Settings,
    *,
    policy_path: Path | None = None,
    policy: Policy | None = None,
    uow_factory: UnitOfWorkFactory | None = None,
) -> Rapport:
    """The application for `settings`; `policy_path` overrides the configured policy file, and tests or
    the demo may hand in a `policy` and a `uow_factory` directly."""
    return Rapport(settings=settings, policy_override=policy_path, _uow_factory=uow_factory, _policy=policy)
