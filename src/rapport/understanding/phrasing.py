"""How a message is phrased, before any model reads it: negated issues and the parts of a message.

"It's not damaged, just late" names damaged to deny it; a sentence encoder (and TF-IDF) would read
the word and not the "not". `drop_negated_issues` removes such a denied part when the message goes on
to say what the matter is ("just", "only", "but", "simply"), so the model reads "just late".
`segments` cuts a message into sentences, so that a second, different problem can be found.
"""

from __future__ import annotations

import re

# a negation, up to ~60 characters of what is denied (no sentence end), a comma/dash, then what is meant
_NEGATED = re.compile(
    r"\b(?:not|isn'?t|wasn'?t|aren'?t|weren'?t|nothing|never mind)\b[^.!?\n]{0,60}?"
    r"[,;\u2013\u2014-]\s*(?:it'?s\s+|it\s+|they'?re\s+|they\s+|i'?m\s+|was\s+|is\s+)?"
    r"(?P<meant>just|only|simply|but)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_MIN_SEGMENT_WORDS = 3


def drop_negated_issues(text: str) -> str:
    """`text` without the issues it denies ("not damaged, just late" -> "just late")."""
    return _NEGATED.sub(lambda m: m.group("meant"), text)


def segments(text: str) -> list[tuple[int, int]]:
    """Character spans of the message's sentences that have at least three words."""
    spans = []
    for match in _SENTENCE.finditer(text):
        if len(match.group(0).split()) >= _MIN_SEGMENT_WORDS:
            spans.append((match.start(), match.end()))
    return spans
