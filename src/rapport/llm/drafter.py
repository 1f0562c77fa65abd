"""The LLM drafter: any OpenAI-compatible chat-completions endpoint words the reply's opening and closing.

Commitments come from the engine, not the model: Rapport renders the subject, the offer paragraph
(from the decision, with the template drafter's sentences) and the sign-off; the model only writes
`{"opening", "closing"}`. Those words pass `drafting.model_words` (no money, numbers, offers, codes,
links, addresses, other people, requests or echoes), then the assembled draft passes the guardrails.
A failure, or an answer that is not the JSON asked for, is retried once with the reasons; if the
retry fails too, or the endpoint times out, errs or is unreachable, the template draft is returned
with `fallback_reason` saying why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

import httpx
from pydantic import SecretStr

from rapport.domain import CustomerProfile, Decision, Ticket
from rapport.drafting.draft import BrandSettings, Draft, Drafter, Violation
from rapport.drafting.facts import ReplyFacts, reply_facts
from rapport.drafting.guardrails import check_draft
from rapport.drafting.model_words import check_model_words, normalise, words_context
from rapport.drafting.template_drafter import TemplateDrafter, render_frame, render_html
from rapport.llm.prompt import GarbageReply, build_messages, completion_text, parse_reply, retry_messages

STYLE_HINTS = {
    "concise_warm": "short and warm: a few sentences; thank a loyal customer and act at once",
    "patient_detailed": "patient and clear: explain what happens next as numbered steps",
    "friendly": "friendly and complete: two or three short paragraphs",
}


@dataclass(frozen=True, slots=True)
class LLMSettings:
    """Where the model is and how long to wait for it (passed in; never read from the environment)."""

    base_url: str
    model: str
    api_key: SecretStr = SecretStr("")  # unwrapped only to build the request header
    timeout: float = 20.0


class _Fallback(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def llm_facts(
    facts: ReplyFacts, brand: BrandSettings, *, offer_paragraph: str, acknowledge_history: bool
) -> dict[str, Any]:
    """The facts a model sees: this customer, this order, the store's offer paragraph, the brand."""
    c = facts.context
    return {
        "customer": {"first_name": c["first_name"], "wrote_before_recently": c["wrote_before"]},
        "order": {"order_name": c["order_name"], "order_date": c["order_date"]},
        "history": c["history"] if acknowledge_history else None,
        "intent": c["intent"],
        "tone": {"style": c["style"], "how": STYLE_HINTS.get(c["style"], STYLE_HINTS["friendly"])},
        "offer_paragraph": offer_paragraph,
        "brand": {"store_name": brand.store_name, "agent_name": brand.agent_name},
    }


def _codes(violations: list[Violation]) -> str:
    return ", ".join(dict.fromkeys(v.code for v in violations))


class LLMDrafter:
    """Drafts with a chat-completions model; falls back to `fallback` (templates) when it must."""

    def __init__(self, settings: LLMSettings, *, fallback: Drafter | None = None) -> None:
        self.settings = settings
        self.fallback = fallback or TemplateDrafter()
        self._client: httpx.Client | None = None  # one connection pool per drafter, made on first use

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(timeout=self.settings.timeout)
        return self._client

    def draft(
        self, ticket: Ticket, profile: CustomerProfile, decision: Decision, brand: BrandSettings
    ) -> Draft:
        """A model draft that passed the guardrails, else the fallback draft with the reason."""
        try:
            return self._model_draft(ticket, profile, decision, brand)
        except _Fallback as exc:
            return replace(self.fallback.draft(ticket, profile, decision, brand), fallback_reason=exc.reason)

    def _model_draft(
        self, ticket: Ticket, profile: CustomerProfile, decision: Decision, brand: BrandSettings
    ) -> Draft:
        facts = reply_facts(ticket, profile, decision, brand)
        offer = render_frame(ticket, profile, decision, brand).offer
        payload = llm_facts(
            facts, brand, offer_paragraph=offer, acknowledge_history=decision.tone.acknowledge_history
        )
        messages = build_messages(ticket, payload)
        allowances = words_context(ticket, profile, facts.context, brand)
        reason = ""
        for attempt in (1, 2):
            content = self._complete(messages)
            try:
                words = parse_reply(content)
            except GarbageReply as exc:
                reason = f"garbage: {exc}"
                messages = retry_messages(messages, content, [Violation("garbage", str(exc))])
                continue
            problems = check_model_words(words.opening, words.closing, allowances)
            if problems:
                reason = "model_words: " + _codes(problems)
                messages = retry_messages(messages, content, problems)
                continue
            opening, closing = normalise(words.opening), normalise(words.closing)
            framed = render_frame(ticket, profile, decision, brand, opening=opening, closing=closing)
            draft = Draft(
                subject=framed.subject,
                body_text=framed.body,
                body_html=render_html(framed.body, brand.templates_dir),
                facts_used={
                    **facts.used,
                    "model": self.settings.model,
                    "attempts": attempt,
                    "model_words": {"opening": opening, "closing": closing},
                },
                drafter="llm",
            )
            report = check_draft(draft, ticket=ticket, profile=profile, decision=decision, brand=brand)
            if report.passed:
                return replace(draft, guardrails=report)
            reason = "guardrails: " + _codes(list(report.violations))
            messages = retry_messages(messages, content, list(report.violations))
        raise _Fallback(f"{reason} (after one retry)")

    def _complete(self, messages: list[dict[str, str]]) -> str:
        """One chat-completions call; any transport failure becomes a fallback reason."""
        s = self.settings
        key = s.api_key.get_secret_value()
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        body = {"model": s.model, "messages": messages, "temperature": 0.2}
        url = s.base_url.rstrip("/") + "/chat/completions"
        try:
            response = self._http().post(url, json=body, headers=headers)
            response.raise_for_status()
            return completion_text(response.json())
        except httpx.TimeoutException:
            raise _Fallback(f"timeout: no answer from {url} within {s.timeout:g}s") from None
        except httpx.HTTPStatusError as exc:
            raise _Fallback(f"http_error: {url} answered {exc.response.status_code}") from None
        except httpx.RequestError as exc:
            raise _Fallback(f"unreachable: {url} ({type(exc).__name__})") from None
        except (json.JSONDecodeError, GarbageReply) as exc:
            raise _Fallback(f"garbage: {exc}") from None
