"""A reply a person sends may be edited freely, but it may not promise more than was granted with it.

The draft was checked against the decision; the person may then change the text and the resolution
(within their authority, which the grant ledger enforces). What the customer reads must agree with what
the ledger records: an amount or a percent in the text is the granted one, in its currency, and no
refund, credit, replacement or discount is promised beyond the granted offer. Everything else (tone,
apologies, questions) is the person's to write.
"""

from __future__ import annotations

from decimal import Decimal

from rapport.domain import OfferKind
from rapport.drafting.draft import GuardrailReport, Violation
from rapport.drafting.model_words import normalise
from rapport.drafting.money_scan import find_money, find_percents
from rapport.drafting.promises import unauthorized_promises


def check_sent_reply(
    body: str,
    *,
    offer: OfferKind,
    amount: Decimal | None = None,
    currency: str | None = None,
    percent: Decimal | None = None,
) -> GuardrailReport:
    """Check a reply about to be sent against the resolution granted with it (`OfferKind.NONE`: none)."""
    text = normalise(body)
    violations: list[Violation] = []
    for mention in find_money(text):
        if amount is None or mention.amount != amount:
            allowed = "no amount" if amount is None else f"only {amount} {currency}"
            violations.append(
                Violation("unexpected_amount", f"mentions {mention.text!r}; the grant is {allowed}")
            )
        elif currency is not None and currency not in mention.currencies:
            violations.append(Violation("wrong_currency", f"{mention.text!r} is not in {currency}"))
    allowed_percent = percent if offer is OfferKind.DISCOUNT_CODE else None
    violations += [
        Violation("unexpected_percent", f"mentions {p}%; the grant is {allowed_percent or 'no'} percent")
        for p in find_percents(text)
        if allowed_percent is None or p != allowed_percent
    ]
    violations += [
        Violation("unauthorized_promise", f"promises {label} ({words!r}) but the grant is {offer.value}")
        for label, words in unauthorized_promises(text, offer)
    ]
    return GuardrailReport.of(violations)
