"""What a drafter produces, the brand it writes for, and the interface every drafter implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rapport.domain import CustomerProfile, Decision, Ticket


@dataclass(frozen=True, slots=True)
class BrandSettings:
    """How the merchant signs its replies; built by the caller from the policy's `brand:` section.

    `templates_dir` holds merchant templates that override the packaged ones file by file.
    `support_email` is the one address besides the customer's that a draft may contain.
    `allowed_domains` are the hosts a model's words may link to (with their subdomains); when
    empty, the support e-mail's domain is the only one (`link_domains`).
    """

    store_name: str = "our store"
    agent_name: str = "The support team"
    sign_off: str = "Warm regards"
    locale: str = "en_US"
    templates_dir: Path | None = None
    support_email: str | None = None
    allowed_domains: tuple[str, ...] = ()

    @property
    def link_domains(self) -> tuple[str, ...]:
        """The hosts a link may point to: `allowed_domains`, else the support e-mail's domain."""
        if self.allowed_domains:
            return tuple(d.strip().lower().strip(".") for d in self.allowed_domains if d.strip())
        if self.support_email and "@" in self.support_email:
            return (self.support_email.rsplit("@", 1)[1].strip().lower(),)
        return ()


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken guardrail: a stable `code` and a sentence saying what is wrong."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class GuardrailReport:
    """The result of checking one draft against the decision and the customer's facts."""

    passed: bool
    violations: tuple[Violation, ...] = ()

    @classmethod
    def of(cls, violations: list[Violation]) -> GuardrailReport:
        """A report that passes exactly when there are no violations."""
        return cls(passed=not violations, violations=tuple(violations))

    def codes(self) -> list[str]:
        """The violation codes, in order, for logs and fallback reasons."""
        return [v.code for v in self.violations]


@dataclass(frozen=True, slots=True)
class Draft:
    """A reply ready for an agent: subject, plain-text and HTML bodies, and the facts it used.

    `drafter` is "template" or "llm"; `fallback_reason` says why an LLM draft was replaced by
    the template draft; `guardrails` is the check every draft gets before it is returned.
    """

    subject: str
    body_text: str
    body_html: str
    facts_used: dict[str, Any] = field(default_factory=dict)
    drafter: str = "template"
    guardrails: GuardrailReport | None = None
    fallback_reason: str | None = None

    @property
    def body(self) -> str:
        """The plain-text body (what `rapport draft --json` calls `body`; its JSON is `schemas.DraftOut`)."""
        return self.body_text


class Drafter(Protocol):
    """Anything that words a reply for a decided ticket."""

    def draft(
        self, ticket: Ticket, profile: CustomerProfile, decision: Decision, brand: BrandSettings
    ) -> Draft:
        """Word the reply to `ticket` for `profile`, stating `decision` exactly."""
        ...
