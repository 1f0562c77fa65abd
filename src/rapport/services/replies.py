"""Draft the reply to a triaged ticket, in the merchant's voice, through the configured drafter."""

from __future__ import annotations

from rapport.config import Settings
from rapport.drafting import BrandSettings, Draft, LLMSettings, make_drafter
from rapport.policy import Policy
from rapport.services.triage import TriageResult


def brand_from_policy(policy: Policy) -> BrandSettings:
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
    """The LLM endpoint from the settings, or None when replies come from templates only."""
    if not settings.llm_base_url:
        return None
    return LLMSettings(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key.get_secret_value(),
        timeout=settings.llm_timeout_seconds,
    )


def draft_reply(result: TriageResult, *, llm: LLMSettings | None = None) -> Draft:
    """A guardrail-checked draft of the reply for this decision (LLM when configured, else templates)."""
    brand = brand_from_policy(result.policy)
    return make_drafter(llm).draft(result.ticket, result.profile, result.decision, brand)
