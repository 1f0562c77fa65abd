"""Reply drafts: templates per intent and tone, an LLM drafter behind the same interface, and the
guardrails every draft passes. Inputs are domain values only; see docs/drafting.md."""

from rapport.drafting.draft import BrandSettings, Draft, Drafter, GuardrailReport, Violation
from rapport.drafting.guardrails import check_draft
from rapport.drafting.records import CheckedLine, check_jsonl, check_record
from rapport.drafting.template_drafter import DraftTemplateError, TemplateDrafter

__all__ = [
    "BrandSettings",
    "CheckedLine",
    "Draft",
    "DraftTemplateError",
    "Drafter",
    "GuardrailReport",
    "TemplateDrafter",
    "Violation",
    "check_draft",
    "check_jsonl",
    "check_record",
]
