"""Follow-ups worded like replies: one template per kind (`templates/follow_ups/`), personalized by the
customer's facts and the segment's tone, and checked so that a follow-up never promises anything.

A follow-up goes out without a person reading it, and it is not the place to grant anything: the
check refuses any amount, any percent and any words of an offer (refund, replacement, credit, ...).
A kind without a template of its own (a policy may name any kind) gets `generic.txt.j2`, a plain,
polite check-in.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from rapport.domain import CustomerProfile, OfferKind, Tone
from rapport.domain.errors import RapportError
from rapport.drafting.draft import BrandSettings, GuardrailReport, Violation
from rapport.drafting.facts import chooser
from rapport.drafting.locale_format import cardinal_words, date_text, resolve_locale
from rapport.drafting.model_words import normalise
from rapport.drafting.money_scan import find_money, find_percents
from rapport.drafting.promises import unauthorized_promises
from rapport.drafting.template_drafter import DraftTemplateError, tidy_text

KINDS = ("personal_check_in", "check_in", "satisfaction_survey")  # each has a template of its own
GENERIC = "generic"  # the template of any other kind
SURVEY_SCORES = (1, 2, 3, 4, 5)
_FOLDER = "follow_ups"


class FollowUpRefused(RapportError):
    """A follow-up's words break a guardrail (a merchant template promised something): not sent."""

    code = "follow_up_refused"


@dataclass(frozen=True, slots=True)
class FollowUpFacts:
    """What a follow-up may say about the customer and the ticket it follows.

    `style` is the tone style the policy gives the segment; `sender` is who the policy says sends it
    (agent, senior, system) and `sender_name` the name it is signed with (the brand's agent name when
    None). `next_billing` is the subscription's next billing date, when known. `survey_links` are the
    five one-click answers (scores 1 to 5, in order) of a satisfaction survey, or empty.
    """

    segment: str
    style: str
    first_name: str | None = None
    ticket_id: int | None = None
    ticket_subject: str | None = None
    intent: str | None = None
    order_name: str | None = None
    orders_count: int = 0
    customer_since: datetime | None = None
    loyalty_tier: str | None = None
    subscriber: bool = False
    next_billing: datetime | None = None
    sender: str = "agent"
    sender_name: str | None = None
    brand: BrandSettings = BrandSettings()
    locale: str | None = None
    survey_links: tuple[str, ...] = ()
    now: datetime | None = None  # when it is drafted: "since 2021" only for a year before this one


def facts_of(
    profile: CustomerProfile,
    *,
    segment: str,
    tone: Tone,
    brand: BrandSettings,
    now: datetime,
    ticket_id: int | None = None,
    ticket_subject: str | None = None,
    intent: str | None = None,
    order_name: str | None = None,
    sender: str = "agent",
    sender_name: str | None = None,
    survey_links: tuple[str, ...] = (),
) -> FollowUpFacts:
    """The facts of a follow-up for `profile`, as a reply reads them: a guest has no name, and the
    loyalty (orders, tenure, tier) is recognized only when the segment's tone acknowledges history."""
    history = tone.acknowledge_history and profile.is_known
    return FollowUpFacts(
        segment=segment,
        style=tone.style,
        first_name=profile.first_name if profile.is_known else None,
        ticket_id=ticket_id,
        ticket_subject=ticket_subject,
        intent=intent,
        order_name=order_name,
        orders_count=profile.orders_count if history else 0,
        customer_since=(profile.customer_since or profile.first_order_at) if history else None,
        loyalty_tier=profile.loyalty_tier if history else None,
        subscriber=profile.is_known and profile.has_active_subscription,
        next_billing=profile.subscription_next_billing_at if profile.has_active_subscription else None,
        sender=sender,
        sender_name=sender_name,
        brand=brand,
        locale=profile.locale,
        survey_links=survey_links,
        now=now,
    )


def template_name(kind: str) -> str:
    """The body template of `kind`: its own, or the generic check-in."""
    return f"{_FOLDER}/{kind if kind in KINDS else GENERIC}.txt.j2"


def draft_follow_up(kind: str, facts: FollowUpFacts) -> tuple[str, str]:
    """(subject, plain-text body) of one follow-up; `FollowUpRefused` if its words promise anything."""
    if facts.survey_links and len(facts.survey_links) != len(SURVEY_SCORES):
        raise ValueError(f"survey_links holds {len(facts.survey_links)} links; one per score 1-5 is needed")
    context = _context(kind, facts)
    env = _environment(facts.brand.templates_dir)
    name = template_name(kind)
    try:
        body = tidy_text(env.get_template(name).render(context))
        name = f"{_FOLDER}/subject.txt.j2"
        subject = tidy_text(env.get_template(name).render(context)).replace("\n", " ")
    except jinja2.TemplateError as exc:
        raise DraftTemplateError(f"{name}: {exc.message}") from None
    report = check_follow_up(subject, body, facts)
    if not report.passed:
        reasons = "; ".join(v.message for v in report.violations)
        raise FollowUpRefused(f"{kind} follow-up for ticket {facts.ticket_id}: {reasons}")
    return subject, body


def check_follow_up(subject: str, body: str, facts: FollowUpFacts) -> GuardrailReport:
    """A follow-up states no resolution: no amount, no percent, no words of an offer.

    The survey links and the merchant's own names are left out of the scan (a token is not an
    amount; "Free Shipping Co." promises nothing)."""
    text = normalise(f"{subject}\n{body}")
    for words in (*facts.survey_links, facts.brand.store_name, facts.brand.agent_name, facts.brand.sign_off):
        if words and words.strip():
            text = re.sub(re.escape(normalise(words.strip())), " ", text, flags=re.I)
    violations = [Violation("unexpected_amount", f"mentions {m.text!r}") for m in find_money(text)]
    violations += [Violation("unexpected_percent", f"mentions {p}%") for p in find_percents(text)]
    violations += [
        Violation("unauthorized_promise", f"promises {label} ({words!r})")
        for label, words in unauthorized_promises(text, OfferKind.NONE)
    ]
    return GuardrailReport.of(violations)


def _context(kind: str, facts: FollowUpFacts) -> dict[str, Any]:
    brand = facts.brand
    locale = resolve_locale(facts.locale, brand.locale)
    since = facts.customer_since
    this_year = facts.now.year if facts.now is not None else None
    seed = hashlib.sha256(f"{kind}|{facts.ticket_id}|{facts.first_name}".encode()).hexdigest()
    return {
        "kind": kind,
        "segment": facts.segment,
        "style": facts.style,
        "first_name": (facts.first_name or "").strip() or None,
        "intent": facts.intent,
        "order_name": facts.order_name,
        "ticket_subject": _quotable(facts.ticket_subject),
        "orders_words": cardinal_words(facts.orders_count) if facts.orders_count >= 2 else None,
        "since_year": str(since.year) if since and this_year and since.year < this_year else None,
        "tier": facts.loyalty_tier.strip().title() if facts.loyalty_tier else None,
        "subscriber": facts.subscriber,
        "next_billing": date_text(facts.next_billing, locale) if facts.next_billing else None,
        "sender": facts.sender,
        "sender_name": facts.sender_name or brand.agent_name,
        "sender_named": bool(facts.sender_name),  # else signed by the brand: "I'm one of the ..."
        "store_name": brand.store_name,
        "agent_name": brand.agent_name,
        "sign_off": brand.sign_off,
        "survey_links": list(facts.survey_links),
        "choose": chooser(seed),
    }


def _quotable(subject: str | None) -> str | None:
    """The ticket's subject, if it may be echoed: the customer's words, so only when they name no
    amount, percent or offer (a follow-up must not repeat "Refund my 50.00" back as if agreed)."""
    if not subject or not subject.strip():
        return None
    text = " ".join(normalise(subject).split())[:80]
    if find_money(text) or find_percents(text) or unauthorized_promises(text, OfferKind.NONE):
        return None
    return text


@lru_cache(maxsize=16)
def _environment(templates_dir: Path | None) -> jinja2.Environment:
    """Plain-text templates; a merchant's `follow_ups/<kind>.txt.j2` shadows the packaged one."""
    loaders: list[jinja2.BaseLoader] = [jinja2.PackageLoader("rapport.drafting", "templates")]
    if templates_dir is not None:
        loaders.insert(0, jinja2.FileSystemLoader(str(templates_dir)))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=False,  # plain text: escaping would corrupt "&" and "'"
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
