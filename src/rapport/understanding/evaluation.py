"""Score an intent model on labelled messages: per-intent precision/recall/F1, macro-F1, top confusions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IntentScore:
    """How well one intent was recognised."""

    intent: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Scores over a labelled set. Macro-F1 averages the intents present in the truth."""

    scores: tuple[IntentScore, ...]
    macro_f1: float
    accuracy: float
    confusions: tuple[tuple[str, str, int], ...]  # (true, predicted, count), most frequent first
    rows: int


def evaluate(truth: Sequence[str], predicted: Sequence[str], *, top_confusions: int = 10) -> Evaluation:
    """Compare predicted intents with the truth, row by row."""
    if len(truth) != len(predicted):
        raise ValueError("truth and predictions differ in length")
    pairs = Counter(zip(truth, predicted, strict=True))
    scores = tuple(_score(intent, pairs) for intent in sorted(set(truth)))
    macro = sum(s.f1 for s in scores) / len(scores) if scores else 0.0
    correct = sum(n for (t, p), n in pairs.items() if t == p)
    confusions = sorted(
        ((t, p, n) for (t, p), n in pairs.items() if t != p), key=lambda c: (-c[2], c[0], c[1])
    )
    return Evaluation(
        scores=scores,
        macro_f1=macro,
        accuracy=correct / len(truth) if truth else 0.0,
        confusions=tuple(confusions[:top_confusions]),
        rows=len(truth),
    )


def _score(intent: str, pairs: Counter[tuple[str, str]]) -> IntentScore:
    true_positive = pairs[(intent, intent)]
    support = sum(n for (t, _), n in pairs.items() if t == intent)
    predicted = sum(n for (_, p), n in pairs.items() if p == intent)
    precision = true_positive / predicted if predicted else 0.0
    recall = true_positive / support if support else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return IntentScore(intent, precision, recall, f1, support)


@dataclass(frozen=True, slots=True)
class OrderIdRecall:
    """Order-reference extraction on rows labelled with an order id."""

    rows: int
    found_span: int  # the id as written at the labelled span came back
    found_label: int  # the labelled value came back (Bitext's label differs from the text on a few rows)
    misses: tuple[str, ...]  # messages whose written id did not come back


def order_id_recall(rows: Sequence[tuple[str, str, int, int]]) -> OrderIdRecall:
    """Recall of `extract_entities` on (text, labelled value, span start, span end), leading zeros ignored."""
    from rapport.understanding.entities import extract_entities, order_key

    found_span = found_label = 0
    misses: list[str] = []
    for text, label, start, end in rows:
        got = {order_key(e.value) for e in extract_entities(text) if e.kind == "order_ref"}
        written = order_key(text[start:end].strip(" ,.?!"))
        found_span += written in got
        found_label += order_key(label) in got
        if written not in got:
            misses.append(text)
    return OrderIdRecall(len(rows), found_span, found_label, tuple(misses))
