"""The intent model at run time: TF-IDF word + character n-grams, a linear SVM, calibrated probabilities.

Training (rapport.understanding.training) fits the model with scikit-learn; what ships is only its
arithmetic: vocabularies, idf weights, the SVM's coefficients and the per-class sigmoid calibration,
as plain numpy arrays. Loading it imports neither scikit-learn nor scipy, so it takes milliseconds.

A message the model is unsure about (top probability under `threshold`), or one whose words are
mostly unknown to it (another language, gibberish), reads as `other` and is flagged for a human.
"""

from __future__ import annotations

import lzma
import pickle
import re
from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from rapport.domain import Intent, IntentReading
from rapport.understanding.phrasing import drop_negated_issues, segments

MAX_CLASSIFY_CHARS = 2_000  # the intent is stated early; bounds the work on 100 KB messages
DEFAULT_THRESHOLD = 0.50  # measured on held-out Bitext and unseen messages: see docs/understanding.md
SECONDARY_THRESHOLD = 0.60  # a sentence must be at least this sure of another intent to add it
CANDIDATES = 3  # the shortlist attached to every reading
MIN_KNOWN_WORD_SHARE = 0.4  # below this share of known words the text is not read as English support mail
_WORD = re.compile(r"[a-z]{2,}")
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern, used in training


@dataclass(slots=True)
class IntentModel:
    """A fitted intent model: features, weights, calibration, and the decisions around them."""

    labels: tuple[str, ...]
    word_vocabulary: dict[str, int]
    word_idf: Any  # ndarray (word features,)
    word_ngrams: tuple[int, int]
    char_vocabulary: dict[str, int]
    char_idf: Any  # ndarray (char features,)
    char_ngrams: tuple[int, int]
    coef: Any  # ndarray (word + char features, labels)
    intercept: Any  # ndarray (labels,)
    calibration_a: Any  # ndarray (labels,): p = 1 / (1 + exp(a * score + b)), then normalised
    calibration_b: Any
    threshold: float = DEFAULT_THRESHOLD
    metadata: dict[str, Any] = field(default_factory=dict)
    source: str = "model"

    def probabilities(self, texts: Sequence[str]) -> Any:
        """Calibrated class probabilities (rows: texts, columns: `labels`)."""
        known: dict[str, list[int]] = {}  # each word's known character n-grams, found once per batch
        return np.array([self._probabilities(prepare(t), known) for t in texts]).reshape(
            len(texts), len(self.labels)
        )

    def classify(self, text: str) -> IntentReading:
        """The intent of one message, how sure the model is, whether a human should look, a second issue."""
        focused = drop_negated_issues((text or "")[:MAX_CLASSIFY_CHARS])
        known = _known_words(self)
        reading = self._reading(focused, self._probabilities(prepare(focused), known))
        secondary = self._secondary(focused, reading.intent, known)
        if secondary is None:
            return reading
        return IntentReading(
            reading.intent,
            reading.confidence,
            reading.source,
            reading.needs_human,
            reading.candidates,
            secondary,
        )

    def _secondary(self, text: str, primary: Intent, known: dict[str, list[int]]) -> Intent | None:
        """A confident, different intent in one sentence of a message of several sentences."""
        spans = segments(text)
        if len(spans) < 2 or primary == Intent.OTHER:
            return None
        best: tuple[float, Intent] | None = None
        for start, end in spans:
            row = self._probabilities(prepare(text[start:end]), known)
            i = int(row.argmax())
            intent = Intent(self.labels[i])
            if intent in (primary, Intent.OTHER) or row[i] < SECONDARY_THRESHOLD:
                continue
            if best is None or row[i] > best[0]:
                best = (float(row[i]), intent)
        return best[1] if best else None

    def classify_many(self, texts: Sequence[str]) -> list[IntentReading]:
        """Intents of many messages, in order."""
        return [self.classify(t) for t in texts]

    def _reading(self, text: str, row: Any) -> IntentReading:
        order = np.argsort(-row, kind="stable")[:CANDIDATES]
        candidates = tuple((Intent(self.labels[i]), round(float(row[i]), 3)) for i in order)
        intent, confidence = candidates[0]
        unknown_words = known_word_share(text, self.word_vocabulary) < MIN_KNOWN_WORD_SHARE
        if confidence < self.threshold or unknown_words:
            return IntentReading(Intent.OTHER, confidence, self.source, True, candidates)
        return IntentReading(intent, confidence, self.source, intent == Intent.OTHER, candidates)

    def _probabilities(self, prepared: str, known: dict[str, list[int]] | None = None) -> Any:
        tokens = _TOKEN.findall(prepared)
        grams = list(tokens) if self.word_ngrams[0] == 1 else []
        for n in range(max(2, self.word_ngrams[0]), self.word_ngrams[1] + 1):
            grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
        word_idx, word_val = _tfidf(grams, self.word_vocabulary, self.word_idf)
        char_idx, char_val = _weighted(
            self._char_indices(prepared, {} if known is None else known), self.char_idf
        )
        scores = self.intercept.copy()
        if len(word_idx):
            scores += word_val @ self.coef[word_idx]
        if len(char_idx):
            scores += char_val @ self.coef[char_idx + len(self.word_vocabulary)]
        calibrated = 1.0 / (1.0 + np.exp(self.calibration_a * scores + self.calibration_b))
        total = calibrated.sum()
        return calibrated / total if total > 0 else np.full_like(calibrated, 1.0 / len(calibrated))

    def _char_indices(self, text: str, known: dict[str, list[int]]) -> list[int]:
        """The vocabulary indices of the text's character n-grams, in order; each word's looked up once."""
        indices: list[int] = []
        for word in text.split():
            found = known.get(word)
            if found is None:
                grams = _char_grams(word, self.char_ngrams)
                found = [i for i in map(self.char_vocabulary.get, grams) if i is not None]
                known[word] = found
            indices += found
        return indices

    def save(self, path: Path) -> int:
        """Write the model (xz-compressed pickle of plain arrays, joblib-readable); returns its size."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with lzma.open(path, "wb", preset=6) as fh:
            pickle.dump(self, fh, protocol=pickle.HIGHEST_PROTOCOL)
        return path.stat().st_size

    @staticmethod
    def load(path: Path) -> IntentModel:
        """Read a model written by `save` (only load model files you trust: this is a pickle)."""
        with lzma.open(path, "rb") as fh:
            model = pickle.load(fh)
        if not isinstance(model, IntentModel):
            raise TypeError(f"{path} does not hold a Rapport intent model")
        return model


# Each word's known character n-grams, remembered per model across messages (support mail reuses a small
# vocabulary), keyed by the model's identity (its entry keeps it alive) and bounded.
_KNOWN_WORDS: dict[int, tuple[IntentModel, dict[str, list[int]]]] = {}
MAX_KNOWN_WORDS = 50_000
MAX_MODELS_REMEMBERED = 4


def _known_words(model: IntentModel) -> dict[str, list[int]]:
    entry = _KNOWN_WORDS.get(id(model))
    if entry is None or entry[0] is not model:
        if len(_KNOWN_WORDS) >= MAX_MODELS_REMEMBERED:  # models trained and thrown away (tests, training)
            _KNOWN_WORDS.clear()
        entry = (model, {})
        _KNOWN_WORDS[id(model)] = entry
    if len(entry[1]) > MAX_KNOWN_WORDS:
        entry[1].clear()
    return entry[1]


def _tfidf(grams: list[str], vocabulary: dict[str, int], idf: Any) -> tuple[Any, Any]:
    """Sublinear tf x idf, l2-normalised, of the known grams (as TfidfVectorizer(sublinear_tf=True))."""
    return _weighted([i for i in map(vocabulary.get, grams) if i is not None], idf)


def _weighted(indices: list[int], idf: Any) -> tuple[Any, Any]:
    """Sublinear tf x idf, l2-normalised, of vocabulary indices (one per occurrence, in text order)."""
    counts: dict[int, int] = {}
    for index in indices:
        counts[index] = counts.get(index, 0) + 1
    if not counts:
        return np.empty(0, dtype=np.int64), np.empty(0)
    idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
    values = (1.0 + np.log(np.fromiter(counts.values(), dtype=float, count=len(counts)))) * idf[idx]
    return idx, values / np.sqrt(values @ values)


def _char_grams(text: str, ngrams: tuple[int, int]) -> list[str]:
    """Character n-grams inside word boundaries, padded with spaces (as analyzer='char_wb')."""
    low, high = ngrams
    grams: list[str] = []
    for token in text.split():
        padded = f" {token} "
        size = len(padded)
        for n in range(low, high + 1):
            if n > size:
                if n == low:
                    grams.append(padded)
                break
            grams += [padded[i : i + n] for i in range(size - n + 1)]
    return grams


def prepare(text: str) -> str:
    """The text the model sees: bounded in length, lowercased, digits folded (numbers carry no intent)."""
    return re.sub(r"\d+", "0", (text or "")[:MAX_CLASSIFY_CHARS].lower())


def known_word_share(text: str, vocabulary: Container[str]) -> float:
    """The share of the message's words the model knows (0.0 for text without words)."""
    words = _WORD.findall(text[:MAX_CLASSIFY_CHARS].lower())
    if not words:
        return 0.0
    return sum(1 for w in words if w in vocabulary) / len(words)


@lru_cache(maxsize=1)
def load_packaged_model() -> IntentModel | None:
    """The trained model shipped with the package, or None when it is absent or unreadable."""
    from rapport.understanding.training import MODEL_PATH

    try:
        return IntentModel.load(MODEL_PATH)
    except Exception:  # a missing or incompatible artifact falls back to keywords rather than failing triage
        return None
