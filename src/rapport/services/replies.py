"""Draft the reply to a triaged ticket, in the merchant's voice, with the drafter the app was built with."""

from __future__ import annotations

from rapport.drafting import BrandSettings, Draft, Drafter
from rapport.services.triage import TriageResult


def draft_reply(result: TriageResult, *, drafter: Drafter, brand: BrandSettings) -> Draft:
    """A guardrail-checked draft of the reply for this decision (LLM when configured, else templates)."""
    return drafter.draft(result.ticket, result.profile, result.decision, brand)
