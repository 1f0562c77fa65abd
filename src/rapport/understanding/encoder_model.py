"""The intent model on sentence embeddings: all-MiniLM-L6-v2 vectors, logistic regression, temperature.

What ships (`data/intent_encoder.npz`, ~30 KB) is the classifier only: a 384 x intents weight matrix,
intercepts, a softmax temperature fitted on out-of-fold scores, and the abstention threshold. The
encoder itself comes from the optional `encoder` extra (rapport.understanding.encoder). A message
whose calibrated top probability is under the threshold reads as `other`, flagged for a human, with the
top candidates attached. A message of several sentences is also read sentence by sentence: a
confident, different intent in one of them is the `secondary` intent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from rapport.domain import Intent, IntentReading
from rapport.understanding.model import MIN_KNOWN_WORD_SHARE, known_word_share
from rapport.understanding.phrasing import drop_negated_issues, segments

DATA_DIR = Path(__file__).with_name("data")
ENCODER_MODEL_PATH = DATA_DIR / "intent_encoder.npz"
DEFAULT_THRESHOLD = 0.45  # chosen on out-of-fold predictions of the training data: docs/understanding.md
SECONDARY_THRESHOLD = 0.60  # a sentence must be at least this sure of another intent to add it
CANDIDATES = 3
MAX_SEGMENTS = 6  # sentences read on their own for a second problem (bounds the work on long mail)


class Embedder(Protocol):
    """What the model needs from an encoder (rapport.understanding.encoder.SentenceEncoder has it)."""

    def encode(self, texts: Sequence[str]) -> Any:
        """Unit-length embeddings, one row per text."""
        ...

    def token_states(self, text: str) -> tuple[Any, list[tuple[int, int]]]:
        """The vector of every token of `text` and its character span."""
        ...


@dataclass(slots=True)
class EncoderIntentModel:
    """Logistic regression over sentence embeddings, with a temperature and an abstention threshold."""

    labels: tuple[str, ...]
    coef: Any  # ndarray (dimension, labels)
    intercept: Any  # ndarray (labels,)
    temperature: float = 1.0
    threshold: float = DEFAULT_THRESHOLD
    metadata: dict[str, Any] = field(default_factory=dict)
    # words of the training messages: a message mostly of other words (another language) goes to a human
    vocabulary: frozenset[str] = frozenset()
    embedder: Any = None  # an Embedder; not saved
    source: str = "encoder"
    blend: Any = (
        None  # a combined_model.Blend (the TF-IDF model's share), set by load_packaged_combined_model
    )

    def probabilities_of(self, embeddings: Any) -> Any:
        """Calibrated probabilities (rows: embeddings, columns: `labels`)."""
        logits = (np.asarray(embeddings, dtype=np.float64) @ self.coef + self.intercept) / self.temperature
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def probabilities(self, texts: Sequence[str]) -> Any:
        """Calibrated probabilities of whole messages (as `classify` reads them)."""
        return self._rows([_prepare(t) for t in texts])

    def _rows(self, prepared: Sequence[str]) -> Any:
        """Probabilities of prepared texts: the encoder's, averaged with the TF-IDF model's when blended."""
        rows = self.probabilities_of(self._require().encode(list(prepared)))
        return rows if self.blend is None else self.blend.combine(rows, prepared)

    def classify(self, text: str) -> IntentReading:
        """The intent of one message, how sure the model is, the candidates and a second problem."""
        prepared = _prepare(text)
        if not self._readable(prepared):
            return IntentReading(Intent.OTHER, 0.0, self.source, needs_human=True)
        row = self._rows([prepared])[0]
        reading = self.reading_of(row)
        return self._with_secondary(reading, self._secondary(prepared, reading.intent))

    def classify_many(self, texts: Sequence[str]) -> list[IntentReading]:
        """Intents of many messages, in order, as `classify` reads them; the messages (then the
        sentences read for a second problem) go to the encoder in one call, which batches them."""
        prepared = [_prepare(t) for t in texts]
        readable = [i for i, p in enumerate(prepared) if self._readable(p)]
        readings = [IntentReading(Intent.OTHER, 0.0, self.source, needs_human=True) for _ in prepared]
        if not readable:
            return readings
        rows = self._rows([prepared[i] for i in readable])
        pieces: list[str] = []
        owners: list[int] = []
        for i, row in zip(readable, rows, strict=True):
            readings[i] = self.reading_of(row)
            for piece in self._pieces(prepared[i], readings[i].intent):
                pieces.append(piece)
                owners.append(i)
        if pieces:
            found: dict[int, list[Any]] = {}
            for owner, row in zip(owners, self._rows(pieces), strict=True):
                found.setdefault(owner, []).append(row)
            for i, piece_rows in found.items():
                secondary = self._secondary_of(piece_rows, readings[i].intent)
                readings[i] = self._with_secondary(readings[i], secondary)
        return readings

    def _readable(self, prepared: str) -> bool:
        """Letters, and enough of the training words (else: another language, gibberish)."""
        if not any(ch.isalpha() for ch in prepared):
            return False
        return not (self.vocabulary and known_word_share(prepared, self.vocabulary) < MIN_KNOWN_WORD_SHARE)

    @staticmethod
    def _with_secondary(reading: IntentReading, secondary: Intent | None) -> IntentReading:
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

    def reading_of(self, row: Any) -> IntentReading:
        """An IntentReading from one row of probabilities: abstain under the threshold."""
        order = np.argsort(-row)[:CANDIDATES]
        candidates = tuple((Intent(self.labels[i]), round(float(row[i]), 3)) for i in order)
        best, confidence = candidates[0]
        if float(row[order[0]]) < self.threshold:
            return IntentReading(Intent.OTHER, confidence, self.source, True, candidates)
        return IntentReading(best, confidence, self.source, best == Intent.OTHER, candidates)

    def _secondary(self, text: str, primary: Intent) -> Intent | None:
        """A confident, different intent in one sentence of a message of several sentences.

        Each sentence is encoded on its own (pooling its tokens from the whole-message pass reads the
        whole message again): this costs a second pass over the words of messages of several sentences.
        """
        pieces = self._pieces(text, primary)
        if not pieces:
            return None
        return self._secondary_of(list(self._rows(pieces)), primary)

    @staticmethod
    def _pieces(text: str, primary: Intent) -> list[str]:
        """The sentences read on their own for a second problem (none for one sentence or `other`)."""
        spans = segments(text)
        if len(spans) < 2 or primary == Intent.OTHER:
            return []
        return [text[s:e] for s, e in spans[:MAX_SEGMENTS]]

    def _secondary_of(self, rows: list[Any], primary: Intent) -> Intent | None:
        """The most confident intent of the sentences' rows, other than the primary and `other`."""
        best: tuple[float, Intent] | None = None
        for row in rows:
            i = int(row.argmax())
            intent = Intent(self.labels[i])
            if intent in (primary, Intent.OTHER) or row[i] < SECONDARY_THRESHOLD:
                continue
            if best is None or row[i] > best[0]:
                best = (float(row[i]), intent)
        return best[1] if best else None

    def _require(self) -> Any:
        if self.embedder is None:
            raise RuntimeError("this intent model has no encoder attached")
        return self.embedder

    def save(self, path: Path) -> int:
        """Write the classifier (numpy .npz, no pickle); returns its size in bytes."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            np.savez_compressed(
                fh,
                labels=np.array(self.labels),
                coef=self.coef.astype(np.float32),
                intercept=self.intercept.astype(np.float32),
                temperature=np.array(self.temperature),
                threshold=np.array(self.threshold),
                metadata=np.array(json.dumps(self.metadata, sort_keys=True)),
                vocabulary=np.array(sorted(self.vocabulary)),
            )
        return path.stat().st_size

    @staticmethod
    def load(path: Path, embedder: Any = None) -> EncoderIntentModel:
        """Read a classifier written by `save` and attach `embedder`."""
        with np.load(path, allow_pickle=False) as data:
            return EncoderIntentModel(
                labels=tuple(str(x) for x in data["labels"]),
                coef=np.asarray(data["coef"], dtype=np.float64),
                intercept=np.asarray(data["intercept"], dtype=np.float64),
                temperature=float(data["temperature"]),
                threshold=float(data["threshold"]),
                metadata=json.loads(str(data["metadata"])),
                vocabulary=frozenset(str(w) for w in data["vocabulary"]),
                embedder=embedder,
            )


def _prepare(text: str) -> str:
    from rapport.understanding.model import MAX_CLASSIFY_CHARS

    return drop_negated_issues((text or "")[:MAX_CLASSIFY_CHARS])


@lru_cache(maxsize=1)
def load_packaged_encoder_model() -> EncoderIntentModel | None:
    """The shipped classifier on the installed encoder, or None when either is missing or unreadable."""
    from rapport.understanding.encoder import load_encoder

    if not ENCODER_MODEL_PATH.exists():
        return None
    encoder = load_encoder()
    if encoder is None:
        return None
    try:
        return EncoderIntentModel.load(ENCODER_MODEL_PATH, embedder=encoder)
    except Exception:  # an incompatible artifact falls back to the TF-IDF model rather than failing triage
        return None
