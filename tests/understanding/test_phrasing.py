"""Negated issues and sentences: what the intent models read."""

from __future__ import annotations

import pytest

from rapport.understanding.phrasing import drop_negated_issues, segments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("not damaged, just late", "just late"),
        ("It's not broken - it just never came.", "It's just never came."),
        ("Not broken, not the wrong thing, it's just not here.", "just not here."),
    ],
)
def test_a_denied_issue_is_dropped_when_the_message_says_what_is_meant(text: str, expected: str) -> None:
    assert drop_negated_issues(text) == expected


@pytest.mark.parametrize("text", ["I am not sure, can you help", "my order is not here", "it's broken"])
def test_a_negation_without_a_correction_is_kept(text: str) -> None:
    assert drop_negated_issues(text) == text


def test_sentences_of_at_least_three_words_are_segments() -> None:
    text = "My mug arrived broken. Also, I was charged twice! ok"
    assert [text[s:e].strip() for s, e in segments(text)] == [
        "My mug arrived broken.",
        "Also, I was charged twice!",
    ]
