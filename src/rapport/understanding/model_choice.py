"""Choosing the intent model by out-of-fold scores on the training rows (issue 11).

Three candidates are compared in the same folds: the TF-IDF model, the encoder model, and their
combination, the average of their calibrated probabilities with the encoder's share `w` (w = 0 is the
TF-IDF model alone, w = 1 the encoder alone). The folds split our own rows (the customer messages and
examples: how customers write); each candidate is trained, in each fold, on the other folds' own rows plus
the Bitext rows it is trained on when shipped (all of them for TF-IDF, a sample for the encoder), and
scored on the fold's own rows. Bitext rows are never scored: they are templated and easy.

The choice is the weight with the highest out-of-fold top-1 accuracy on our own rows (ties: the lower
log-loss); its softmax temperature minimises the out-of-fold log-loss and its abstention threshold is
chosen as the encoder's is (`training.choose_threshold`). No test set is read here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rapport.understanding.combined_model import Combination, file_sha256, mixture, tempered
from rapport.understanding.training import (
    ENCODER_C,
    OWN_WEIGHT,
    Example,
    _fit_temperature,
    _softmax,
    choose_threshold,
    encoder_examples,
    fit_pipeline,
)

WEIGHTS = tuple(i / 10 for i in range(11))  # the encoder's share of the average
ECE_BINS = 10


@dataclass(frozen=True, slots=True)
class OutOfFold:
    """Both models' out-of-fold readings of our own rows, in the same folds."""

    classes: tuple[str, ...]
    truth: Any  # ndarray (rows,): index into classes
    tfidf: Any  # ndarray (rows, classes): calibrated probabilities
    encoder: Any  # ndarray (rows, classes): temperature-scaled probabilities
    encoder_temperature: float
    folds: int


@dataclass(frozen=True, slots=True)
class Candidate:
    """One candidate's out-of-fold figures on our own rows."""

    encoder_weight: float
    top1_accuracy: float  # full coverage: the top intent of every row
    log_loss: float
    ece: float
    temperature: float
    threshold: float
    coverage: float  # share of rows at or above the threshold
    kept_accuracy: float  # accuracy of those
    accuracy: float  # abstentions counted as `other`, as `rapport model eval` counts them

    @property
    def name(self) -> str:
        if self.encoder_weight == 0.0:
            return "TF-IDF only"
        if self.encoder_weight == 1.0:
            return "encoder only"
        return f"combined, encoder weight {self.encoder_weight:.1f}"

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}


class CachedEmbedder:
    """An embedder that encodes each distinct text once (training embeds the same rows many times)."""

    def __init__(self, embedder: Any) -> None:
        self._embedder = embedder
        self._vectors: dict[str, Any] = {}

    def encode(self, texts: Sequence[str]) -> Any:
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            for text, vector in zip(missing, np.asarray(self._embedder.encode(missing)), strict=True):
                self._vectors[text] = vector
        return np.array([self._vectors[t] for t in texts])

    def token_states(self, text: str) -> Any:
        return self._embedder.token_states(text)


def out_of_fold(examples: Sequence[Example], embedder: Any, *, seed: int = 7, folds: int = 5) -> OutOfFold:
    """Both candidates' out-of-fold probabilities of the own rows of `examples`, in the same folds."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    from rapport.understanding.encoder_model import _prepare

    own = [e for e in examples if e.origin != "bitext"]
    bitext = [e for e in examples if e.origin == "bitext"]
    sampled = [e for e in encoder_examples(examples, seed=seed) if e.origin == "bitext"]
    classes = tuple(sorted({e.intent.value for e in examples}))
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[e.intent.value] for e in own])
    own_vectors = np.asarray(embedder.encode([_prepare(e.text) for e in own]), dtype=np.float64)
    sample_vectors = np.asarray(embedder.encode([_prepare(e.text) for e in sampled]), dtype=np.float64)
    sample_y = np.array([index[e.intent.value] for e in sampled], dtype=int)

    tfidf = np.zeros((len(own), len(classes)))
    logits = np.full((len(own), len(classes)), -1e9)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_idx, test_idx in splitter.split(np.zeros(len(own)), y):
        rows = [own[i] for i in train_idx] + bitext
        word, char, calibrated = fit_pipeline(
            [e.text for e in rows], [e.intent.value for e in rows], seed=seed
        )
        tfidf[test_idx] = _tfidf_probabilities(word, char, calibrated, [own[i].text for i in test_idx], index)

        x = np.vstack([own_vectors[train_idx], sample_vectors])
        target = np.concatenate([y[train_idx], sample_y])
        weights = np.concatenate([np.full(len(train_idx), OWN_WEIGHT), np.ones(len(sampled))])
        fold = LogisticRegression(C=ENCODER_C, class_weight="balanced", max_iter=3000)
        fold.fit(x, target, sample_weight=weights)
        block = np.full((len(test_idx), len(classes)), -1e9)
        block[:, fold.classes_] = fold.decision_function(own_vectors[test_idx])
        logits[test_idx] = block
    temperature = _fit_temperature(logits, y)
    return OutOfFold(classes, y, tfidf, _softmax(logits / temperature), temperature, folds)


def _tfidf_probabilities(
    word: Any, char: Any, calibrated: Any, texts: list[str], index: dict[str, int]
) -> Any:
    """The fitted TF-IDF pipeline's probabilities of `texts`, as the shipped model reads them."""
    from scipy.sparse import hstack

    from rapport.understanding.model import MAX_CLASSIFY_CHARS, prepare
    from rapport.understanding.phrasing import drop_negated_issues

    prepared = [prepare(drop_negated_issues(t[:MAX_CLASSIFY_CHARS])) for t in texts]
    features = hstack([word.transform(prepared), char.transform(prepared)]).tocsr()
    out = np.zeros((len(texts), len(index)))
    out[:, [index[str(c)] for c in calibrated.classes_]] = calibrated.predict_proba(features)
    return out


def score(oof: OutOfFold, encoder_weight: float) -> Candidate:
    """One weight's out-of-fold figures, its temperature and threshold fitted on the same rows."""
    mixed = mixture(oof.tfidf, oof.encoder, encoder_weight)
    temperature = _fit_temperature(np.log(np.clip(mixed, 1e-12, 1.0)), oof.truth)
    probabilities = tempered(mixed, temperature)
    y = oof.truth
    top = probabilities.max(axis=1)
    right = probabilities.argmax(axis=1) == y
    threshold = choose_threshold(probabilities, y)
    kept = top >= threshold
    other = oof.classes.index("other") if "other" in oof.classes else -1
    abstained_right = (~kept) & (y == other)
    return Candidate(
        encoder_weight=encoder_weight,
        top1_accuracy=round(float(right.mean()), 4),
        log_loss=round(float(-np.log(np.clip(probabilities[np.arange(len(y)), y], 1e-12, 1)).mean()), 4),
        ece=round(_ece(top, right), 4),
        temperature=temperature,
        threshold=threshold,
        coverage=round(float(kept.mean()), 4),
        kept_accuracy=round(float(right[kept].mean()) if kept.any() else 0.0, 4),
        accuracy=round(float(((kept & right) | abstained_right).mean()), 4),
    )


def _ece(top: Any, right: Any) -> float:
    """Expected calibration error over ten equal-width confidence bins."""
    bins = np.minimum((top * ECE_BINS).astype(int), ECE_BINS - 1)
    total = 0.0
    for b in range(ECE_BINS):
        members = bins == b
        if members.any():
            total += members.sum() * abs(float(top[members].mean()) - float(right[members].mean()))
    return float(total / len(top))


def compare(oof: OutOfFold, weights: Sequence[float] = WEIGHTS) -> list[Candidate]:
    """Every weight's figures, in the order of `weights`."""
    return [score(oof, w) for w in weights]


def choose(candidates: Sequence[Candidate]) -> Candidate:
    """The highest out-of-fold top-1 accuracy; ties: the lower log-loss."""
    return min(candidates, key=lambda c: (-c.top1_accuracy, c.log_loss))


def choose_combination(
    examples: Sequence[Example],
    embedder: Any,
    *,
    tfidf_path: Path,
    encoder_path: Path,
    seed: int = 7,
    folds: int = 5,
) -> tuple[Combination, list[Candidate]]:
    """Compare the candidates out of fold and describe the chosen one for the two trained model files."""
    oof = out_of_fold(examples, embedder, seed=seed, folds=folds)
    candidates = compare(oof)
    chosen = choose(candidates)
    combination = Combination(
        encoder_weight=chosen.encoder_weight,
        temperature=chosen.temperature,
        threshold=chosen.threshold,
        tfidf_sha256=file_sha256(tfidf_path),
        encoder_sha256=file_sha256(encoder_path),
        metadata={
            "seed": seed,
            "folds": folds,
            "own_rows": len(oof.truth),
            "criterion": "out-of-fold top-1 accuracy on own rows, then log-loss",
            "encoder_temperature": oof.encoder_temperature,
            "chosen": chosen.name,
            "out_of_fold": [c.as_dict() for c in candidates],
        },
    )
    return combination, candidates
