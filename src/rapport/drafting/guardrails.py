"""Guardrails every draft passes before anyone sees it, whichever drafter wrote it.

The rules (docs/drafting.md lists the codes): the decided offer, amount, percent, currency,
shipping and return are stated and nothing else is promised; the only money amount a draft may
contain is the decision's (even true facts such as an order total are refused: one simple rule a
model cannot argue with); nothing the store knows is asked for again; the customer's name and
order are right; no other customer's order or e-mail address appears. The decision's own reason
(for `none`) is a fact chosen by the merchant, so it is exempt from the offer and money scans, but
not from the rule against asking for what the store already knows.
"""

from __future__ import annotations

import re

from rapport.domain import CustomerProfile, Decision, OfferKind, Ticket
from rapport.drafting.draft import BrandSettings, Draft, GuardrailReport, Violation
from rapport.drafting.model_words import ASKING_WORDS, THIS_MESSAGE, normalise
from rapport.drafting.money_scan import find_money, find_percents
from rapport.drafting.promises import STATED, is_negated, unauthorized_promises

_SHIPPING_OFFERS = frozenset({OfferKind.REPLACEMENT, OfferKind.RESHIP, OfferKind.EXCHANGE})
_SPEED = re.compile(
    r"\b(express|overnight|standard|next[- ]day|expedited|priority)\s+(?:shipping|delivery)\b", re.I
)
_SPEED_ALIASES = {
    "next-day": "overnight",
    "next day": "overnight",
    "expedited": "express",
    "priority": "express",
}
_RETURN_STATED = re.compile(
    r"\b(?:send|ship|post|mail|bring)\b[^.!?]{0,40}\bback\b|\breturn(?:ing|ed)?\b", re.I
)
_RETURN_ASKED = re.compile(
    r"\b(?:please|you(?:'ll| will)? need to|you must|you have to)\s+(?:return\b|send\b[^.!?]{0,40}\bback\b)",
    re.I,
)
_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|greetings)\b[ ,]*"
    r"(?P<name>[^\W\d_][\w'’-]*(?:\.? [^\W\d_][\w'’-]*)?)?",
    re.I,
)
_GENERIC = frozenset({"there", "team", "friend", "customer", "valued", "all", "again", "and", "from", "to"})
_TITLES = frozenset({"mr", "mrs", "ms", "mx", "dr", "miss"})
_ORDER_REF = re.compile(r"#\s?([A-Za-z]{0,5}\d[\w-]*)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def stated_reason(reason: str | None) -> str | None:
    """The reason as a reply states it (no trailing full stop), or None."""
    return reason.strip().rstrip(".") if reason and reason.strip() else None


def check_draft(
    draft: Draft,
    *,
    ticket: Ticket,
    profile: CustomerProfile,
    decision: Decision,
    brand: BrandSettings | None = None,
) -> GuardrailReport:
    """Check one draft's subject and plain-text body against the decision and the customer's facts."""
    body = normalise(draft.body_text)  # full-width digits and symbols read as plain ("＄１０")
    full = f"{normalise(draft.subject)}\n{body}"
    scan = _without_exempt(full, decision, brand)
    violations = [
        *_money(scan, decision),
        *_percents(scan, decision),
        *_promises(scan, full, decision),
        *_shipping(scan, decision),
        *_returns(scan, decision),
        *_known_info(full, ticket, profile),  # even the reason may not ask for what we know
        *_names(body, full, profile),
        *_orders(full, ticket, profile),
        *_emails(full, ticket, profile, brand),
    ]
    return GuardrailReport.of(violations)


def _without_exempt(text: str, decision: Decision, brand: BrandSettings | None) -> str:
    """The text without the merchant's own words (the reason, the store's and agent's names),
    which may contain offer words ("Free Shipping Co.") without promising anything."""
    exempt = [stated_reason(decision.resolution.reason)]
    if brand is not None:
        exempt += [brand.store_name, brand.agent_name, brand.sign_off]
    for words in exempt:
        if words and words.strip():
            text = re.sub(re.escape(words.strip()), " ", text, flags=re.I)
    return text


def _money(text: str, decision: Decision) -> list[Violation]:
    r = decision.resolution
    out, stated = [], False
    for m in find_money(text):
        if r.amount is None or m.amount != r.amount:
            allowed = "no amount" if r.amount is None else f"only {r.amount} {r.currency}"
            out.append(Violation("unexpected_amount", f"mentions {m.text!r}; the decision allows {allowed}"))
        elif r.currency not in m.currencies:
            out.append(Violation("wrong_currency", f"{m.text!r} is not in {r.currency}"))
        else:
            stated = True
    if r.amount is not None and not stated:
        out.append(Violation("amount_missing", f"does not state the decided amount {r.amount} {r.currency}"))
    return out


def _percents(text: str, decision: Decision) -> list[Violation]:
    r = decision.resolution
    allowed = r.percent if r.offer is OfferKind.DISCOUNT_CODE else None
    found = find_percents(text)
    out = [
        Violation("unexpected_percent", f"mentions {p}%; the decision allows {allowed or 'no'} percent")
        for p in found
        if allowed is None or p != allowed
    ]
    if allowed is not None and allowed not in found:
        out.append(Violation("percent_missing", f"does not state the decided {allowed}% discount"))
    return out


def _promises(scan: str, full: str, decision: Decision) -> list[Violation]:
    offer = decision.resolution.offer
    out = [
        Violation("unauthorized_promise", f"promises {label} ({words!r}) but the decision is {offer.value}")
        for label, words in unauthorized_promises(scan, offer)
    ]
    required = STATED.get(offer)
    if required is not None and not required.search(scan):
        out.append(Violation("offer_missing", f"does not state the decided offer ({offer.value})"))
    reason = stated_reason(decision.resolution.reason)
    if offer is OfferKind.NONE and reason and reason.lower() not in full.lower():
        out.append(Violation("offer_missing", f"does not state the reason: {reason!r}"))
    return out


def _shipping(text: str, decision: Decision) -> list[Violation]:
    r = decision.resolution
    speeds = {_SPEED_ALIASES.get(s.lower(), s.lower()) for s in _SPEED.findall(text)}
    out = [
        Violation("wrong_shipping", f"mentions {s} shipping; the decision says {r.shipping or 'none'}")
        for s in sorted(speeds)
        if s != (r.shipping or "").lower()
    ]
    needs = r.shipping and (r.offer in _SHIPPING_OFFERS or r.offer is OfferKind.FREE_SHIPPING_UPGRADE)
    if needs and (r.shipping or "").lower() not in speeds:
        out.append(Violation("shipping_missing", f"does not state the decided {r.shipping} shipping"))
    return out


def _returns(text: str, decision: Decision) -> list[Violation]:
    if decision.resolution.requires_return:
        if not _RETURN_STATED.search(text):
            return [Violation("return_missing", "does not say the item must be sent back")]
        return []
    return [
        Violation("unrequired_return", f"asks for a return the decision does not require ({m.group(0)!r})")
        for m in _RETURN_ASKED.finditer(text)
        if not is_negated(text, m.start())
    ]


# A request: an asking word ("need", "forward", "confirm", "which"...) or a plea to send, then, in the
# same clause, a fact the store holds. Clauses end at . ! ? ; : and line breaks.
_ASKING = re.compile(
    rf"\b(?:(?:please|kindly|just|(?:could|can|would|will)\s+you)\s+(?:\w+\s+)?(?:send|provide|give|show)"
    rf"|{ASKING_WORDS})\b",
    re.I,
)
_CLAUSES = re.compile(r"[.!?;:](?:\s+|$)|\n+")
_ORDER_FACT = re.compile(
    r"\border(?:['’]s)?\s+(?:number|no\b|#(?!\s*\w)|id\b|reference|confirmation|receipt|invoice)"
    r"|\b(?:number|no\b|id|reference|confirmation|receipt|invoice)\s+(?:of|for)\s+(?:your|the|this)\s+order\b"
    r"|\b(?:your|the)\s+(?:[\w-]+\s+)?(?:receipt|invoice)\b"
    r"|\b(?:date|day)\s+(?:of|you\s+placed)\s+(?:your|the)\s+order\b",
    re.I,
)
_EMAIL_FACT = re.compile(
    r"\be-?mail\s+address|\b(?:your|which|what)\s+e-?mail\b"
    r"|\be-?mail\s+(?:on|linked|associated|tied|registered|used|you\s+(?:used|ordered|signed|registered))\b",
    re.I,
)
# A question that is a request by itself.
_ORDER_QUESTION = re.compile(
    r"\bwhen\s+did\s+you\s+(?:place|make|submit)\s+(?:the|your|this)\s+order\b", re.I
)
_MENTIONS_HELD_FACT = re.compile(r"\border|receipt|invoice|e-?mail", re.I)


def _requests(text: str, fact: re.Pattern[str], question: re.Pattern[str] | None = None) -> list[str]:
    """The words of each clause that asks for `fact`: from the asking word to the fact."""
    found = []
    for clause in _CLAUSES.split(THIS_MESSAGE.sub(" ", text)):
        ask = _ASKING.search(clause)
        held = fact.search(clause, ask.end()) if ask else None
        if ask and held:
            found.append(clause[ask.start() : held.end()])
        elif question is not None and (asked := question.search(clause)):
            found.append(asked.group(0))
    return found


def _known_info(text: str, ticket: Ticket, profile: CustomerProfile) -> list[Violation]:
    if not _MENTIONS_HELD_FACT.search(text):  # cheap: most drafts ask for nothing
        return []
    out = []
    if ticket.order is not None or profile.last_order is not None:
        out += [
            Violation("asks_known_order", f"asks for the order number: {w!r}")
            for w in _requests(text, _ORDER_FACT, _ORDER_QUESTION)
        ]
    # The e-mail address is always known: it is the one the customer wrote from.
    out += [
        Violation("asks_known_email", f"asks for the e-mail address: {w!r}")
        for w in _requests(text, _EMAIL_FACT)
    ]
    return out


def _names(body: str, full: str, profile: CustomerProfile) -> list[Violation]:
    first = profile.first_name.strip() if profile.is_known and profile.first_name else None
    out = []
    greeting = _GREETING.match(body)
    name = (greeting.group("name") or "") if greeting else ""
    words = [w.strip(".").lower() for w in name.split()]
    if words and words[0] not in _GENERIC:
        if words[0] in _TITLES:
            ok = len(words) > 1 and bool(profile.last_name) and words[1] == (profile.last_name or "").lower()
        else:
            ok = first is not None and words[0] == first.split()[0].lower()
        if not ok:
            out.append(Violation("wrong_name", f"greets {name!r}; the customer is {first or 'a guest'}"))
    if first and not re.search(rf"(?<!\w){re.escape(first)}(?!\w)", full, re.I):
        out.append(Violation("name_missing", f"does not greet the customer by name ({first})"))
    return out


def _norm_order(name: str) -> str:
    return name.strip().lstrip("#").strip().upper()


def _orders(text: str, ticket: Ticket, profile: CustomerProfile) -> list[Violation]:
    own = [o for o in (ticket.order, profile.last_order, *profile.recent_orders) if o is not None]
    allowed = {_norm_order(o.name) for o in own}
    mentioned = {_norm_order(m) for m in _ORDER_REF.findall(text)}
    out = [
        Violation("foreign_order", f"mentions order #{name}, which is not this customer's")
        for name in sorted(mentioned - allowed)
    ]
    named = ticket.order is None or ticket.order.name.lower() in text.lower()
    if not named and ticket.order is not None and _norm_order(ticket.order.name) not in mentioned:
        out.append(Violation("order_name_missing", f"does not name the order {ticket.order.name}"))
    return out


def _emails(
    text: str, ticket: Ticket, profile: CustomerProfile, brand: BrandSettings | None
) -> list[Violation]:
    allowed = {profile.email.lower(), ticket.email.lower()}
    if brand is not None and brand.support_email:
        allowed.add(brand.support_email.lower())
    return [
        Violation("foreign_email", f"contains the e-mail address {address}, which is not this customer's")
        for address in dict.fromkeys(a.lower() for a in _EMAIL.findall(text))
        if address not in allowed
    ]
