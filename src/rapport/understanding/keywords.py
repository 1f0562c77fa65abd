"""A small, honest keyword baseline over Rapport's 17 intents (the fallback when no model is available).

Each intent has a few phrase patterns with a weight; the best total wins. It is transparent and
fast, and it is deliberately modest: anything it cannot place is `other`, flagged for a human.
"""

from __future__ import annotations

import re

from rapport.domain import Intent, IntentReading

MAX_CLASSIFY_CHARS = 2_000


def _any(*phrases: str) -> str:
    """A pattern matching any of the phrases as whole words (phrases may hold regex)."""
    return r"\b(?:" + "|".join(phrases) + r")\b"


_RULES: dict[Intent, tuple[tuple[str, float], ...]] = {
    Intent.DAMAGED_ITEM: (
        (_any("damaged", "broken", "broke", "cracked", "smashed", "shattered", "dented", "torn", "ripped",
              "leak(?:ed|ing)", "in pieces", "defective", "faulty", "doesn'?t work", "stopped working",
              "not working", "scratched", "crushed"), 2.0),
    ),
    Intent.WRONG_ITEM: (
        (_any("wrong (?:item|size|colou?r|product|thing|one|order|model)", "not what i ordered",
              "(?:sent|received|got) (?:me )?(?:the )?wrong", "instead of", "someone else'?s order",
              "different (?:item|product)"), 2.5),
    ),
    Intent.MISSING_ITEM: (
        (_any("missing", "not in the (?:box|package|parcel)", "wasn'?t in",
              "only (?:got|received) (?:one|\\d|part)",
              "(?:box|package|parcel) (?:was|is|came) empty", "left out", "forgot to (?:include|send)"), 2.0),
    ),
    Intent.WHERE_IS_MY_ORDER: (
        (_any("where(?:'s| is) my (?:order|package|parcel|stuff|delivery)", "track(?:ing)?",
              "status of my order", "order status", "when will (?:my|it|the)",
              "has (?:it|my order) shipped", "eta", "arrive"), 1.5),
        (_any("my order"), 0.5),
    ),
    Intent.LATE_DELIVERY: (
        (_any("late", "delayed", "delay", "still (?:hasn'?t|not|haven'?t) (?:arrived|come|received)",
              "never (?:arrived|came)", "taking (?:so|too) long", "(?:weeks?|days?) (?:ago|late|and still)",
              "overdue", "hasn'?t arrived", "not arrived"), 2.0),
    ),
    Intent.RETURN_REQUEST: (
        (_any("return(?:ing)?", "send (?:it|them|this) back", "exchange", "return label", "rma"), 2.0),
    ),
    Intent.REFUND_REQUEST: ((_any("refund(?:ed)?", "money back", "reimburse(?:ment)?"), 2.5),),
    Intent.CANCEL_ORDER: (
        (_any("cancel(?:l?ing|l?ed|lation)? (?:my |the |this |an |that )?(?:order|purchase)",
              "don'?t want (?:the|my|this) order"), 3.0),
    ),
    Intent.CHANGE_ORDER: (
        (_any("(?:change|edit|modify|update|add|remove|switch) (?:\\w+ ){0,3}"
              "(?:order|purchase|address|size|item)",
              "(?:shipping|delivery) address", "wrong address"), 2.0),
    ),
    Intent.SUBSCRIPTION_CHANGE: (
        (_any("subscription", "subscribe", "membership",
              "skip (?:\\w+ )?(?:month|delivery|box|shipment)", "pause",
              "(?:monthly|next|my) box", "recurring", "auto-?ship", "renewal"), 2.5),
    ),
    Intent.BILLING_ISSUE: (
        (_any("charged", "charge", "double charged", "billing", "invoice", "receipt", "payment", "pay",
              "card (?:was )?declined", "credit card", "paypal", "bill"), 2.0),
    ),
    Intent.DISCOUNT_ISSUE: (
        (_any("discount", "promo(?:tion)?(?: code)?", "coupon", "voucher",
              "code (?:doesn'?t|didn'?t|won'?t|is not) work", "gift card", "sale price", "price match"), 3.0),
    ),
    Intent.PRODUCT_QUESTION: (
        (_any("in stock", "back in stock", "does (?:it|this)",
              "is (?:it|this) (?:compatible|available|suitable)",
              "size guide", "sizing", "made of", "ingredients", "dimensions", "how (?:big|long|many)",
              "which (?:size|one)", "shipping options", "do you (?:ship|sell|have)",
              "how to (?:buy|order|place)",
              "place an order"), 2.0),
    ),
    Intent.ACCOUNT_ISSUE: (
        (_any("account", "password", "log ?in", "sign ?in", "sign ?up", "register", "registration", "profile",
              "username", "newsletter", "unsubscribe"), 2.0),
    ),
    Intent.FEEDBACK: (
        (_any("feedback", "review", "complain(?:t)?", "suggestion", "love (?:your|the)",
              "great (?:service|product)", "thank you", "thanks", "disappointed"), 1.5),
    ),
    Intent.HUMAN_REQUEST: (
        (_any("(?:talk|speak|chat) (?:to|with) (?:a |an |someone|somebody)", "real person", "human", "agent",
              "representative", "customer service", "manager", "supervisor"), 2.5),
        (_any("phone number", "call me"), 1.5),
    ),
}  # fmt: skip
_COMPILED = {
    intent: tuple((re.compile(pattern, re.IGNORECASE), weight) for pattern, weight in rules)
    for intent, rules in _RULES.items()
}


class KeywordClassifier:
    """Intent from weighted keyword patterns; `other` (needs a human) when nothing or a tie matches."""

    source = "keywords"

    def classify(self, text: str) -> IntentReading:
        """The intent of `text` by the best-scoring keyword patterns."""
        scores = self.scores(text[:MAX_CLASSIFY_CHARS])
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        if not ranked or ranked[0][1] <= 0:
            return IntentReading(intent=Intent.OTHER, confidence=0.0, source=self.source, needs_human=True)
        best, score = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        confidence = round(min(0.9, score / (score + runner_up + 1.0)), 3)
        tie = runner_up >= score
        return IntentReading(intent=best, confidence=confidence, source=self.source, needs_human=tie)

    def scores(self, text: str) -> dict[Intent, float]:
        """Total weight of the matched patterns per intent (intents without a match left out)."""
        totals: dict[Intent, float] = {}
        for intent, rules in _COMPILED.items():
            total = sum(weight for pattern, weight in rules if pattern.search(text))
            if total:
                totals[intent] = total
        return totals
