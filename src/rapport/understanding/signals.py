"""Urgency and risk signals in a message, each with the words that showed it.

Phrase lists, not a model: a signal must be explainable to an agent ("legal_threat: lawyer"),
and a missed threat costs more than a false alarm, so the lists lean towards recall.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapport.domain import Signal

MAX_SIGNAL_CHARS = 20_000
REPEAT_CONTACT_THRESHOLD = 3  # contacts in 90 days from which a new one counts as repeated


def _any(*phrases: str) -> str:
    """A pattern matching any of the phrases as whole words (phrases may hold regex)."""
    return r"\b(?:" + "|".join(phrases) + r")\b"


_PATTERNS: dict[str, str] = {
    "anger": _any(
        "furious",
        "angry",
        "livid",
        "outraged",
        "pissed(?: off)?",
        "fed up",
        "sick and tired",
        "ridiculous",
        "unacceptable",
        "disgusting",
        "disgraceful",
        "appalling",
        "terrible",
        "horrible",
        "awful",
        "worst",
        "useless",
        "incompetent",
        "pathetic",
        "scam(?:mers?)?",
        "rip[- ]?off",
        "joke",
        "wtf",
        "fuck\\w*",
        "shit\\w*",
        "crap",
        "damn\\w*",
        "bullshit",
        "hate",
        "disappointed",
        "fuming",
        "beyond frustrated",
        "frustrat\\w+",
        "annoyed",
        "insane",
        "absurd",
        "shameful",
        "never again",
    )
    + r"|!{3,}|\?!+",
    "repeat_contact": _any(
        "(?:second|third|fourth|fifth|\\d+(?:st|nd|rd|th)|umpteenth|nth) (?:time|email|e-mail|message)",
        "(?:already|again|keep|kept) (?:contacted|emailed|e-mailed|called|wrote|written|asked|messaged"
        "|chatted|reached out)",
        "(?:contacted|emailed|called|wrote to) you (?:again|before|already|twice|\\w+ times)",
        "how many (?:more )?times",
        "(?:no one|nobody) (?:has )?(?:answered|replied|responded|got back)",
        "still (?:no|not|haven't|hasn't|nothing|waiting)",
        "(?:never|not) (?:heard back|got a reply|received a reply|got an answer)",
        "(?:multiple|several|many) (?:times|emails|messages|calls)",
        "twice",
        "yet again",
        "once again",
    ),
    "chargeback_threat": _any(
        "charge ?backs?",
        "dispute (?:the|this|it|a) (?:charge|payment|transaction)",
        "(?:dispute|reverse|reversing|disputing) (?:it |this |the charge |the payment )?(?:with|through) "
        "(?:my|the) (?:bank|card|credit card|paypal|amex|visa)",
        "(?:call|contact|calling|contacting|tell|report (?:you|this) to) my "
        "(?:bank|credit card company|card issuer)",
        "(?:open|file|opening|filing) (?:a |an )?(?:dispute|claim) (?:with|on|through) "
        "(?:paypal|my bank|my card|the bank|klarna|amex)",
        "paypal (?:dispute|claim)",
        "reverse the (?:charge|payment)",
        "cancel the payment",
    ),
    "legal_threat": _any(
        "lawyers?",
        "attorneys?",
        "solicitors?",
        "sue",
        "suing",
        "lawsuit",
        "legal action",
        "take (?:legal|you to court)",
        "small claims",
        "court",
        "better business bureau",
        "bbb",
        "consumer protection",
        "trading standards",
        "attorney general",
        "ftc",
        "report you to",
        "class action",
        "legal department",
    ),
    "cancel_account": _any(
        "(?:cancel|close|delete|deactivate|terminate|remove) (?:my|the) (?:whole |entire )?account",
        "never (?:order|buy|shop|purchase)\\w* (?:from|with|here|again)",
        "(?:take|taking) my (?:business|money) elsewhere",
        "(?:last|final) (?:order|time i (?:order|buy|shop))",
    ),
    "safety_issue": _any(
        "injur\\w+",
        "hurt (?:me|my|myself|him|her)",
        "burn(?:ed|t|s)? (?:me|my|myself|his|her)",
        "caught fire",
        "on fire",
        "fire hazard",
        "smok(?:e|ed|ing)",
        "explod\\w+",
        "sparks?",
        "sparking",
        "electric(?:al)? shock",
        "electrocut\\w+",
        "shocked me",
        "overheat\\w*",
        "melt(?:ed|ing)",
        "cut (?:myself|my \\w+)",
        "bleed\\w*",
        "blood",
        "allergic reaction",
        "anaphyla\\w+",
        "chok\\w+",
        "poison\\w*",
        "toxic",
        "hospital",
        "emergency room",
        "made (?:me|my \\w+) (?:sick|ill)",
        "food poisoning",
        "mou?ldy?",
        "glass shards?",
        "shards",
        "rash",
        "swallowed",
        "dangerous",
        "unsafe",
    ),
    "deadline": _any(
        "asap",
        "urgent(?:ly)?",
        "emergency",
        "by (?:tomorrow|tonight|today|monday|tuesday|wednesday|thursday|friday|saturday|sunday|the weekend"
        "|this week|next week|\\d{1,2}(?:st|nd|rd|th)?)",
        "before (?:tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|the weekend|christmas"
        "|my (?:trip|flight|wedding|birthday|event))",
        "in time for",
        "deadline",
        "need (?:it|this|them) (?:by|before|for)",
        "(?:for|on) (?:my|our|the) (?:wedding|birthday|party|trip|flight|event|anniversary)",
        "leaving (?:on|tomorrow)",
        "right now",
        "immediately",
        "today",
    ),
}
_COMPILED = {kind: re.compile(pattern, re.IGNORECASE) for kind, pattern in _PATTERNS.items()}
# "I'm not angry, just confused": a feeling word right after a negation is denied, not felt. Only for
# anger (threats lean towards recall: "I don't want to call my lawyer" still shows the lawyer).
_NEGATION_BEFORE = re.compile(
    r"\b(?:not|n't|never|no longer|hardly|without being)\s+(?:\w+\s+){0,2}$", re.IGNORECASE
)
_NEGATABLE = frozenset({"anger"})
_CAPS_WORD = re.compile(r"\b[A-Z]{3,}\b")
_ANY_WORD = re.compile(r"\b[A-Za-z]{3,}\b")
_ACRONYMS = {
    "UPS",
    "USPS",
    "DHL",
    "USA",
    "ETA",
    "FAQ",
    "SKU",
    "PDF",
    "VAT",
    "EUR",
    "USD",
    "GBP",
    "CEO",
    "BBB",
}


def detect_signals(text: str, *, contacts_last_90d: int = 0) -> tuple[Signal, ...]:
    """The urgency and risk signals in `text`, one per kind, with their evidence words."""
    text = text[:MAX_SIGNAL_CHARS]
    signals: list[Signal] = []
    for kind, pattern in _COMPILED.items():
        words = _unique(
            m.group(0)
            for m in pattern.finditer(text)
            if kind not in _NEGATABLE or not _negated(text, m.start())
        )
        if kind == "repeat_contact" and contacts_last_90d >= REPEAT_CONTACT_THRESHOLD:
            words.append(f"{contacts_last_90d} contacts in the last 90 days")
        if words:
            signals.append(Signal(kind=kind, evidence=", ".join(words[:5])))
    shouting = _shouting(text)
    if shouting:
        signals.append(Signal(kind="all_caps", evidence=" ".join(shouting[:6])))
    return tuple(signals)


def _negated(text: str, start: int) -> bool:
    """Whether the words just before `start` deny it ("not angry", "I'm not at all annoyed")."""
    before = text[max(0, start - 40) : start]
    return bool(_NEGATION_BEFORE.search(before))


def _shouting(text: str) -> list[str]:
    """Capitalised words when they are a large share of the message (not a stray acronym)."""
    caps = [w for w in _CAPS_WORD.findall(text) if w not in _ACRONYMS]
    words = _ANY_WORD.findall(text)
    if len(caps) >= 3 and len(caps) >= 0.4 * len(words):
        return _unique(caps)
    return []


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(str(item).strip(), None)
    return [s for s in seen if s]
