"""The keyword baseline: transparent and modest."""

from __future__ import annotations

import pytest

from rapport.domain import Intent
from rapport.understanding import KeywordClassifier


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("the mug arrived broken", Intent.DAMAGED_ITEM),
        ("you sent me the wrong size", Intent.WRONG_ITEM),
        ("please cancel my order", Intent.CANCEL_ORDER),
        ("my promo code doesn't work", Intent.DISCOUNT_ISSUE),
        ("I want a refund", Intent.REFUND_REQUEST),
        ("pause my subscription", Intent.SUBSCRIPTION_CHANGE),
    ],
)
def test_keywords_read_plain_requests(text: str, intent: Intent) -> None:
    assert KeywordClassifier().classify(text).intent == intent


def test_a_message_without_keywords_is_other_and_needs_a_human() -> None:
    reading = KeywordClassifier().classify("hello there")
    assert (reading.intent, reading.needs_human, reading.source) == (Intent.OTHER, True, "keywords")
