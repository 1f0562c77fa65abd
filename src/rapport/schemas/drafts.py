"""A reply draft (`rapport draft --json`, `POST /v1/tickets/draft`) and its guardrail check.

Drafts are made in `rapport.drafting`, a sibling layer this package does not import: the
constructors take anything shaped like `drafting.Draft` (see the protocols below).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from pydantic import BaseModel

from rapport.schemas.customers import OUT
from rapport.schemas.tickets import Triaged, TriageOut


class ViolationLike(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def message(self) -> str: ...


class GuardrailReportLike(Protocol):
    @property
    def passed(self) -> bool: ...
    @property
    def violations(self) -> Sequence[ViolationLike]: ...


class DraftLike(Protocol):
    @property
    def subject(self) -> str: ...
    @property
    def body_text(self) -> str: ...
    @property
    def body_html(self) -> str: ...
    @property
    def drafter(self) -> str: ...
    @property
    def fallback_reason(self) -> str | None: ...
    @property
    def facts_used(self) -> dict[str, Any]: ...
    @property
    def guardrails(self) -> GuardrailReportLike | None: ...


class ViolationOut(BaseModel):
    """One broken guardrail: a stable `code` and what is wrong."""

    model_config = OUT

    code: str
    message: str


class GuardrailsOut(BaseModel):
    model_config = OUT

    passed: bool
    violations: list[ViolationOut]

    @classmethod
    def from_domain(cls, report: GuardrailReportLike) -> GuardrailsOut:
        return cls(
            passed=report.passed,
            violations=[ViolationOut(code=v.code, message=v.message) for v in report.violations],
        )


class DraftOut(BaseModel):
    """A reply ready for an agent; `drafter` is "template" or "llm", `fallback_reason` why an LLM
    draft was replaced by the template draft; `guardrails` is the check every draft gets."""

    model_config = OUT

    subject: str
    body: str
    body_html: str
    drafter: str
    fallback_reason: str | None
    facts_used: dict[str, Any]
    guardrails: GuardrailsOut | None

    @classmethod
    def from_domain(cls, draft: DraftLike) -> DraftOut:
        return cls(
            subject=draft.subject,
            body=draft.body_text,
            body_html=draft.body_html,
            drafter=draft.drafter,
            fallback_reason=draft.fallback_reason,
            facts_used=draft.facts_used,
            guardrails=None if draft.guardrails is None else GuardrailsOut.from_domain(draft.guardrails),
        )


class DraftResponse(BaseModel):
    """`rapport draft --json` and `POST /v1/tickets/draft`: the triage JSON and the draft."""

    model_config = OUT

    decision: TriageOut
    draft: DraftOut

    @classmethod
    def from_domain(cls, result: Triaged, draft: DraftLike) -> DraftResponse:
        return cls(decision=TriageOut.from_result(result), draft=DraftOut.from_domain(draft))
