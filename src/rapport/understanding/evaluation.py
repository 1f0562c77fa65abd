"""Score an intent model on labelled messages: per-intent precision/recall/F1, macro-F1, top confusions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


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
class Calibration:
    """How far confidence can be trusted: reliability bins, ECE, and the effect of abstaining."""

    top1_accuracy: float  # the top candidate, had the model never abstained
    coverage: float  # share of messages not sent to a human
    covered_accuracy: float  # accuracy on those
    ece: float  # expected calibration error of the top candidate's probability (10 bins)
    bins: tuple[tuple[float, float, int, float, float], ...]  # (low, high, rows, mean confidence, accuracy)


def calibration(truth: Sequence[str], readings: Sequence[Any], *, bins: int = 10) -> Calibration:
    """Calibration of readings that carry `candidates` (else their own intent and confidence)."""
    tops = [_top(r) for r in readings]
    right = [t == intent for t, (intent, _) in zip(truth, tops, strict=True)]
    kept = [not r.needs_human for r in readings]
    kept_right = [t == r.intent.value for t, r in zip(truth, readings, strict=True) if not r.needs_human]
    table = []
    ece = 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        members = [i for i, (_, c) in enumerate(tops) if low <= c < high or (b == bins - 1 and c == 1.0)]
        if not members:
            continue
        mean_conf = sum(tops[i][1] for i in members) / len(members)
        acc = sum(right[i] for i in members) / len(members)
        ece += len(members) / len(tops) * abs(mean_conf - acc)
        table.append((low, high, len(members), mean_conf, acc))
    n = len(readings) or 1
    return Calibration(
        top1_accuracy=sum(right) / n,
        coverage=sum(kept) / n,
        covered_accuracy=sum(kept_right) / len(kept_right) if kept_right else 0.0,
        ece=ece,
        bins=tuple(table),
    )


def _top(reading: Any) -> tuple[str, float]:
    if getattr(reading, "candidates", ()):
        intent, confidence = reading.candidates[0]
        return str(intent.value), float(confidence)
    return str(reading.intent.value), float(reading.confidence)


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
