"""The vocabulary of offers: which words promise which resolution, and which state the decided one.

A word of an offer the decision did not grant is a promise beyond the decision. A promise that is
plainly negated in its own clause ("we can't offer a refund") is not. Clauses end at . ! ? ; : ,
and dashes, so "no problem, we'll refund you" is still a promise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapport.domain import OfferKind as K

_REFUNDS = frozenset({K.REFUND, K.PARTIAL_REFUND, K.RETURN_FOR_REFUND})
_MONEY = _REFUNDS | {K.STORE_CREDIT, K.DISCOUNT_CODE, K.WAIVE_FEE}
_NEGATION = re.compile(
    r"\b(?:not|no|nothing|never|cannot|unable|unfortunately we can't|won't|isn't|aren't)\b|n['’]t\b", re.I
)
_CLAUSE_END = re.compile(r"[.!?;:,\u2013\u2014]|\s-\s")


@dataclass(frozen=True, slots=True)
class PromiseWords:
    """Words that promise a kind of resolution, and the offers that make them true."""

    label: str
    pattern: re.Pattern[str]
    allowed: frozenset[K]


PROMISES: tuple[PromiseWords, ...] = tuple(
    PromiseWords(label, re.compile(pattern, re.I), frozenset(allowed))
    for label, pattern, allowed in (
        ("a refund", r"\brefund\w*|\bmoney back\b|\breimburs\w*", _REFUNDS),
        (
            "a replacement",
            r"\breplac\w*|\b(?:send|ship) (?:you )?a new\b|\bnew one\b",
            {K.REPLACEMENT, K.EXCHANGE},
        ),
        (
            "reshipping",
            r"\bre-?ship\w*|\bresend\w*|\b(?:send|ship) (?:it|them|your order|the order|your parcel) again\b",
            {K.RESHIP, K.REPLACEMENT},
        ),
        (
            "store credit",
            r"\b(?:store|account|shop) credit\b|\bcredit\w* (?:to|on|into) your account\b"
            r"|\bgift (?:card|voucher|certificate)\b|\bvouchers?\b",
            {K.STORE_CREDIT},
        ),
        (
            "a discount",
            r"\bdiscount\w*|\bcoupon\w*|\bpromo(?:tion(?:al)?)? code\b|%\s*off\b|\bper ?cent off\b",
            {K.DISCOUNT_CODE},
        ),
        ("an exchange", r"\bexchang\w*|\bswap\w*", {K.EXCHANGE}),
        (
            "waiving a fee",
            r"\bwaiv\w*|\b(?:remov|cancel|revers|drop)\w* (?:the|that|this|your) (?:\w+ )?(?:fee|charge)\b",
            {K.WAIVE_FEE},
        ),
        (
            "free shipping",
            r"\bfree (?:\w+ )?(?:shipping|delivery|postage)\b|\bshipping upgrade\b"
            r"|\bupgrad\w* [^.!?]{0,30}\b(?:shipping|delivery)\b",
            {K.FREE_SHIPPING_UPGRADE},
        ),
        ("compensation", r"\bcompensat\w*|\bcash ?back\b|\bgoodwill\b", _MONEY),
    )
)

# What must appear for the decided offer to count as stated.
STATED: dict[K, re.Pattern[str]] = {
    kind: re.compile(pattern, re.I)
    for kind, pattern in (
        (K.REPLACEMENT, r"\breplac"),
        (K.RESHIP, r"\bre-?ship|\bresend|\bsend (?:it|them|your order|the order) again"),
        (K.REFUND, r"\brefund"),
        (K.PARTIAL_REFUND, r"\brefund"),
        (K.RETURN_FOR_REFUND, r"\brefund"),
        (K.STORE_CREDIT, r"\bcredit"),
        (K.DISCOUNT_CODE, r"\bdiscount|\bcode\b"),
        (K.EXCHANGE, r"\bexchang"),
        (K.WAIVE_FEE, r"\bwaiv"),
        (K.FREE_SHIPPING_UPGRADE, r"\bupgrad|\bfree (?:\w+ )?shipping"),
        (K.APOLOGY_WITH_TRACKING, r"\btrack"),
        (K.ESCALATE, r"\bcolleague|\bspecialist|\bmanager|\bteam\b|\bpassed\b|\bescalat"),
    )
}


def clause_before(text: str, start: int) -> str:
    """The words of the clause that precede position `start` (at most 60 characters)."""
    window = text[max(0, start - 60) : start]
    pieces = _CLAUSE_END.split(window)
    return pieces[-1] if pieces else window


def is_negated(text: str, start: int) -> bool:
    """Whether the clause before `start` negates what follows ("we can't offer a ...")."""
    return bool(_NEGATION.search(clause_before(text, start)))


def unauthorized_promises(text: str, offer: K) -> list[tuple[str, str]]:
    """(label, words) of every non-negated promise that `offer` does not make true."""
    found = []
    for words in PROMISES:
        if offer in words.allowed:
            continue
        for match in words.pattern.finditer(text):
            if not is_negated(text, match.start()):
                found.append((words.label, match.group(0)))
    return found
