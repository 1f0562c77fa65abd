"""The combined intent model: the encoder's and the TF-IDF model's calibrated probabilities, averaged.

p = softmax(log(w * p_encoder + (1 - w) * p_tfidf) / T). The encoder's share `w`, the temperature `T` and
the abstention threshold are chosen by out-of-fold scores on the training rows
(rapport.understanding.model_choice) and shipped in `data/intent_combined.json`, beside the sha256 of the
two model files they were chosen with: a file trained apart from the other is not combined with it.
Everything else (abstention, candidates, a second problem, unreadable text) is the encoder model's.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from rapport.understanding.encoder_model import ENCODER_MODEL_PATH, EncoderIntentModel
from rapport.understanding.model import IntentModel

DATA_DIR = Path(__file__).with_name("data")
COMBINED_PATH = DATA_DIR / "intent_combined.json"


def mixture(tfidf: Any, encoder: Any, encoder_weight: float) -> Any:
    """The combined model's probabilities before its temperature."""
    return encoder_weight * np.asarray(encoder) + (1.0 - encoder_weight) * np.asarray(tfidf)


def tempered(probabilities: Any, temperature: float) -> Any:
    """Probabilities sharpened (T < 1) or softened (T > 1): softmax(log p / T)."""
    logits = np.log(np.clip(probabilities, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


@dataclass(frozen=True, slots=True)
class Blend:
    """The TF-IDF model's part of a combined reading."""

    tfidf: IntentModel
    columns: Any  # ndarray: for each of the encoder's labels, its column in the TF-IDF model's
    encoder_weight: float
    temperature: float

    def combine(self, encoder_rows: Any, prepared: Any) -> Any:
        """The combined probabilities of texts the encoder model has prepared (in its label order)."""
        tfidf_rows = self.tfidf.probabilities(list(prepared))[:, self.columns]
        return tempered(mixture(tfidf_rows, encoder_rows, self.encoder_weight), self.temperature)


@dataclass(frozen=True, slots=True)
class Combination:
    """What `intent_combined.json` holds: the chosen weight, temperature and threshold, and their origin."""

    encoder_weight: float
    temperature: float
    threshold: float
    tfidf_sha256: str
    encoder_sha256: str
    metadata: dict[str, Any]

    def save(self, path: Path) -> int:
        path.parent.mkdir(parents=True, exist_ok=True)
        fields = {
            "encoder_weight": self.encoder_weight,
            "temperature": self.temperature,
            "threshold": self.threshold,
            "tfidf_sha256": self.tfidf_sha256,
            "encoder_sha256": self.encoder_sha256,
            "metadata": self.metadata,
        }
        path.write_text(json.dumps(fields, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return path.stat().st_size

    @staticmethod
    def load(path: Path) -> Combination:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Combination(
            encoder_weight=float(data["encoder_weight"]),
            temperature=float(data["temperature"]),
            threshold=float(data["threshold"]),
            tfidf_sha256=str(data["tfidf_sha256"]),
            encoder_sha256=str(data["encoder_sha256"]),
            metadata=dict(data.get("metadata", {})),
        )

    def matches(self, tfidf_path: Path, encoder_path: Path) -> bool:
        """Whether the two model files are the ones this combination was chosen with."""
        return (
            file_sha256(tfidf_path) == self.tfidf_sha256 and file_sha256(encoder_path) == self.encoder_sha256
        )


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def combine(
    encoder_model: EncoderIntentModel, tfidf_model: IntentModel, combination: Combination
) -> EncoderIntentModel:
    """The encoder model reading with the TF-IDF model's share, threshold and source of the combination."""
    missing = set(encoder_model.labels) - set(tfidf_model.labels)
    if missing:
        raise ValueError(f"the TF-IDF model has no {', '.join(sorted(missing))}")
    columns = np.array([tfidf_model.labels.index(label) for label in encoder_model.labels])
    blend = Blend(tfidf_model, columns, combination.encoder_weight, combination.temperature)
    return replace(encoder_model, blend=blend, threshold=combination.threshold, source="combined")


@lru_cache(maxsize=1)
def load_packaged_combination() -> Combination | None:
    """The shipped combination, or None when it is absent, unreadable, or chosen with other model files."""
    from rapport.understanding.training import MODEL_PATH

    try:
        combination = Combination.load(COMBINED_PATH)
        return combination if combination.matches(MODEL_PATH, ENCODER_MODEL_PATH) else None
    except Exception:  # a missing or stale choice falls back to the encoder model alone
        return None


@lru_cache(maxsize=1)
def load_packaged_combined_model() -> EncoderIntentModel | None:
    """The shipped combined model, or None when the encoder, either model file or the choice is missing."""
    from rapport.understanding.encoder_model import load_packaged_encoder_model
    from rapport.understanding.model import load_packaged_model

    combination = load_packaged_combination()
    if combination is None:
        return None
    encoder_model = load_packaged_encoder_model()
    tfidf_model = load_packaged_model()
    if encoder_model is None or tfidf_model is None:
        return None
    try:
        return combine(encoder_model, tfidf_model, combination)
    except ValueError:
        return None
