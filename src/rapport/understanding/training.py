"""Train Rapport's intent model from Bitext (mapped to Rapport's intents) and Rapport's own examples.

The Bitext held-out part is fixed before any training by a stable hash of each message's text
(`is_held_out`), so `rapport model eval --held-out` scores only rows the shipped model never saw.
"""

from __future__ import annotations

import csv
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rapport.domain import Intent
from rapport.domain.errors import InvalidInput
from rapport.understanding.model import IntentModel, prepare

DATA_DIR = Path(__file__).with_name("data")
EXAMPLES_CSV = DATA_DIR / "examples.csv"
CUSTOMER_CSV = DATA_DIR / "customer_messages.csv"  # written the way customers write: see data/README.md
CUSTOMER_CSV_2 = DATA_DIR / "customer_messages_2.csv"  # a second, larger batch of the same kind
CUSTOMER_CSV_3 = DATA_DIR / "customer_messages_3.csv"  # a third batch: more shops, voices and near-misses
CUSTOMER_CSV_4 = DATA_DIR / "customer_messages_4.csv"  # a fourth: design words that sound like damage, etc.
# one data set written in batches (each with its own provenance): naming the first reads them all
CUSTOMER_BATCHES = (CUSTOMER_CSV, CUSTOMER_CSV_2, CUSTOMER_CSV_3, CUSTOMER_CSV_4)
OWN_CSVS = (EXAMPLES_CSV, *CUSTOMER_BATCHES)
MODEL_PATH = DATA_DIR / "intent_model.joblib"
HELD_OUT_BUCKETS = 5  # one bucket in five (20 %) of Bitext is held out

# ../shared/data/bitext/README.md: Bitext intent -> Rapport intent. Bitext intents not listed are dropped.
BITEXT_MAPPING: dict[str, Intent] = {
    "cancel_order": Intent.CANCEL_ORDER,
    "change_order": Intent.CHANGE_ORDER,
    "change_shipping_address": Intent.CHANGE_ORDER,
    "track_order": Intent.WHERE_IS_MY_ORDER,
    "delivery_period": Intent.WHERE_IS_MY_ORDER,
    "get_refund": Intent.REFUND_REQUEST,
    "track_refund": Intent.REFUND_REQUEST,
    "check_refund_policy": Intent.REFUND_REQUEST,
    "payment_issue": Intent.BILLING_ISSUE,
    "check_invoice": Intent.BILLING_ISSUE,
    "get_invoice": Intent.BILLING_ISSUE,
    "check_payment_methods": Intent.BILLING_ISSUE,
    "check_cancellation_fee": Intent.BILLING_ISSUE,
    "complaint": Intent.FEEDBACK,
    "review": Intent.FEEDBACK,
    "contact_customer_service": Intent.HUMAN_REQUEST,
    "contact_human_agent": Intent.HUMAN_REQUEST,
    "create_account": Intent.ACCOUNT_ISSUE,
    "delete_account": Intent.ACCOUNT_ISSUE,
    "edit_account": Intent.ACCOUNT_ISSUE,
    "recover_password": Intent.ACCOUNT_ISSUE,
    "registration_problems": Intent.ACCOUNT_ISSUE,
    "switch_account": Intent.ACCOUNT_ISSUE,
    "set_up_shipping_address": Intent.ACCOUNT_ISSUE,
    "newsletter_subscription": Intent.ACCOUNT_ISSUE,
    "delivery_options": Intent.PRODUCT_QUESTION,
    "place_order": Intent.PRODUCT_QUESTION,
}


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled message."""

    text: str
    intent: Intent
    origin: str = ""  # "bitext" for Bitext rows, else the file name


def is_held_out(text: str) -> bool:
    """Whether a Bitext message belongs to the held-out part (stable: depends on the text only)."""
    return zlib.crc32(text.encode("utf-8")) % HELD_OUT_BUCKETS == 0


def read_labelled_csv(
    path: Path,
    *,
    text_column: str = "text",
    mapping: dict[str, Intent] | None = None,
    label_column: str = "intent",
) -> list[Example]:
    """Labelled rows of a CSV (`text_column` + `label_column`); `mapping` maps labels, drops unmapped rows.

    Raises InvalidInput naming the file and line for a missing column or an unknown intent.
    """
    examples: list[Example] = []
    with _open_csv(path) as fh:
        reader = csv.DictReader(fh)
        _require_columns(path, reader.fieldnames, (text_column, label_column))
        for line, row in enumerate(reader, start=2):
            label = (row.get(label_column) or "").strip()
            if mapping is not None:
                if label in mapping:
                    examples.append(Example(row[text_column] or "", mapping[label], "bitext"))
                continue
            try:
                examples.append(Example(row[text_column] or "", Intent(label), path.name))
            except ValueError:
                raise InvalidInput(f"{path}:{line}: unknown intent {label!r}") from None
    return examples


def read_texts(path: Path, *, text_column: str) -> list[str]:
    """The messages in one column of a CSV, in file order."""
    with _open_csv(path) as fh:
        reader = csv.DictReader(fh)
        _require_columns(path, reader.fieldnames, (text_column,))
        return [row[text_column] or "" for row in reader]


def _open_csv(path: Path):  # type: ignore[no-untyped-def]
    try:
        return path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read: {exc.strerror}") from None


def _require_columns(path: Path, present: Sequence[str] | None, needed: Iterable[str]) -> None:
    missing = [c for c in needed if c not in (present or ())]
    if missing:
        raise InvalidInput(
            f"{path}:1: missing column(s) {', '.join(missing)}; found {', '.join(present or ())}"
        )


def training_examples(data_csvs: Sequence[Path], extra_csvs: Sequence[Path] = OWN_CSVS) -> list[Example]:
    """Labelled messages for training, from CSVs of either shape, read by their header.

    Bitext-shaped files (`instruction`, `intent`) are mapped to Rapport's intents and their held-out part
    is left out; Rapport-shaped files (`text`, `intent`) are used whole. `customer_messages.csv` stands
    for all its batches (`CUSTOMER_BATCHES`).
    """
    examples: list[Example] = []
    for path in [*data_csvs, *with_customer_batches(extra_csvs)]:
        if "instruction" in _header(path):
            rows = read_labelled_csv(path, text_column="instruction", mapping=BITEXT_MAPPING)
            examples += [e for e in rows if not is_held_out(e.text)]
        else:
            examples += read_labelled_csv(path)
    return examples


def with_customer_batches(paths: Sequence[Path]) -> list[Path]:
    """`paths` with the first customer-message file replaced by all its batches (no file twice)."""
    first = CUSTOMER_CSV.resolve()
    expanded: list[Path] = []
    for path in paths:
        expanded += list(CUSTOMER_BATCHES) if path.resolve() == first else [path]
    return list(dict.fromkeys(p.resolve() for p in expanded))


def _header(path: Path) -> list[str]:
    with _open_csv(path) as fh:
        return next(csv.reader(fh), [])


def train(examples: Sequence[Example], *, seed: int = 7) -> IntentModel:
    """Fit the intent model on labelled examples; the same seed and examples give the same model."""
    if len({e.intent for e in examples}) < 2:
        raise InvalidInput("training needs labelled examples of at least two intents")
    word, char, calibrated = fit_pipeline(
        [e.text for e in examples], [e.intent.value for e in examples], seed=seed
    )
    model = export_model(word, char, calibrated)
    model.metadata.update(seed=seed, rows=len(examples))
    return model


def fit_pipeline(texts: Sequence[str], labels: Sequence[str], *, seed: int) -> tuple[Any, Any, Any]:
    """scikit-learn: TF-IDF word 1-2-grams and char_wb 2-5-grams, a linear SVM with sigmoid calibration."""
    from scipy.sparse import hstack
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import LinearSVC

    word = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=20_000)
    char = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True, max_features=40_000
    )
    prepared = [prepare(t) for t in texts]
    features = hstack([word.fit_transform(prepared), char.fit_transform(prepared)]).tocsr()
    svm = LinearSVC(C=0.5, class_weight="balanced", random_state=seed)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    # ensemble=False: calibrate on out-of-fold scores, keep one SVM fitted on everything (one weight matrix)
    calibrated = CalibratedClassifierCV(svm, method="sigmoid", cv=folds, ensemble=False)
    calibrated.fit(features, list(labels))
    return word, char, calibrated


def export_model(word: Any, char: Any, calibrated: Any) -> IntentModel:
    """The fitted pipeline's arithmetic as plain arrays: what ships and runs without scikit-learn."""
    inner = calibrated.calibrated_classifiers_[0]
    svm = inner.estimator
    if len(svm.classes_) < 3:
        raise InvalidInput("training needs labelled examples of at least three intents")
    return IntentModel(
        labels=tuple(str(c) for c in svm.classes_),
        word_vocabulary={str(k): int(v) for k, v in word.vocabulary_.items()},
        word_idf=np.asarray(word.idf_, dtype=float),
        word_ngrams=word.ngram_range,
        char_vocabulary={str(k): int(v) for k, v in char.vocabulary_.items()},
        char_idf=np.asarray(char.idf_, dtype=float),
        char_ngrams=char.ngram_range,
        coef=np.ascontiguousarray(svm.coef_.T, dtype=float),
        intercept=np.asarray(svm.intercept_, dtype=float),
        calibration_a=np.array([c.a_ for c in inner.calibrators], dtype=float),
        calibration_b=np.array([c.b_ for c in inner.calibrators], dtype=float),
    )


# --- the encoder model (optional extra): logistic regression on all-MiniLM-L6-v2 embeddings -------------

BITEXT_PER_INTENT = 120  # Bitext is templated: a sample per Rapport intent is enough next to our own rows
ENCODER_C = 4.0  # chosen with OWN_WEIGHT by out-of-fold accuracy on our own rows (C 1/4/16 x weight 1/3)
OWN_WEIGHT = 3.0  # our own rows count three times a Bitext row: they are how customers write
# Abstention (docs/understanding.md): the lowest threshold from which the out-of-fold readings in every
# band of 0.10 above it are right at least 80 % of the time. Why 80 %: keeping a reading that is right
# with probability p costs (1 - p) wrong replies; sending it to a person costs one look; a wrong
# automated offer is taken to cost about five looks, so a reading is worth keeping from p = 0.8.
BAND_TARGET_ACCURACY = 0.80
BAND_WIDTH = 0.10


def encoder_examples(examples: Sequence[Example], *, seed: int = 7) -> list[Example]:
    """The training rows of the encoder model: every own row, and a seeded sample of Bitext per intent."""
    rng = np.random.default_rng(seed)
    own = [e for e in examples if e.origin != "bitext"]
    sampled: list[Example] = []
    for intent in sorted({e.intent for e in examples if e.origin == "bitext"}):
        rows = [e for e in examples if e.origin == "bitext" and e.intent == intent]
        keep = sorted(rng.choice(len(rows), size=min(BITEXT_PER_INTENT, len(rows)), replace=False))
        sampled += [rows[int(i)] for i in keep]
    return own + sampled


def train_encoder(examples: Sequence[Example], embedder: Any, *, seed: int = 7, folds: int = 5) -> Any:
    """Fit the encoder intent model: logistic regression, a temperature and a threshold from 5-fold OOF.

    The temperature minimises the out-of-fold log-loss; the threshold is `choose_threshold` on the
    out-of-fold readings of our own (non-Bitext) rows.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    from rapport.understanding.encoder_model import EncoderIntentModel, _prepare

    if len({e.intent for e in examples}) < 3:
        raise InvalidInput("training needs labelled examples of at least three intents")
    embeddings = np.asarray(embedder.encode([_prepare(e.text) for e in examples]), dtype=np.float64)
    labels = np.array([e.intent.value for e in examples])
    classes = sorted(set(labels))
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[c] for c in labels])

    weights = np.array([1.0 if e.origin == "bitext" else OWN_WEIGHT for e in examples])

    def fit(x: Any, target: Any, w: Any) -> Any:
        model = LogisticRegression(C=ENCODER_C, class_weight="balanced", max_iter=3000)
        return model.fit(x, target, sample_weight=w)

    oof = np.zeros((len(examples), len(classes)))
    n_splits = min(folds, int(np.bincount(y).min()))
    if n_splits >= 2:
        splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        for train_idx, test_idx in splitter.split(embeddings, y):
            fold = fit(embeddings[train_idx], y[train_idx], weights[train_idx])
            logits = np.full((len(test_idx), len(classes)), -1e9)
            logits[:, fold.classes_] = fold.decision_function(embeddings[test_idx])
            oof[test_idx] = logits
    final = fit(embeddings, y, weights)
    temperature = _fit_temperature(oof, y) if n_splits >= 2 else 1.0
    own = np.array([e.origin != "bitext" for e in examples])
    probabilities = _softmax(oof / temperature)
    threshold = choose_threshold(probabilities[own], y[own]) if n_splits >= 2 else 0.5
    model = EncoderIntentModel(
        labels=tuple(classes),
        coef=np.ascontiguousarray(final.coef_.T, dtype=np.float64),
        intercept=np.asarray(final.intercept_, dtype=np.float64),
        temperature=temperature,
        threshold=threshold,
        vocabulary=training_words(e.text for e in examples),
        embedder=embedder,
    )
    model.metadata.update(
        seed=seed,
        rows=len(examples),
        own_rows=int(own.sum()),
        C=ENCODER_C,
        own_weight=OWN_WEIGHT,
        oof_accuracy_own=float((probabilities[own].argmax(1) == y[own]).mean()) if n_splits >= 2 else None,
    )
    return model


def training_words(texts: Iterable[str], *, min_count: int = 2) -> frozenset[str]:
    """Words (2+ letters, lowercased) seen at least `min_count` times in the training messages."""
    import re
    from collections import Counter

    counts = Counter(w for t in texts for w in re.findall(r"[a-z]{2,}", t.lower()))
    return frozenset(w for w, n in counts.items() if n >= min_count)


def _softmax(logits: Any) -> Any:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def _fit_temperature(logits: Any, y: Any) -> float:
    """The softmax temperature with the lowest log-loss (a grid: deterministic, no optimiser)."""
    best_t, best_loss = 1.0, float("inf")
    for t in np.exp(np.linspace(np.log(0.2), np.log(5.0), 81)):
        p = _softmax(logits / t)[np.arange(len(y)), y]
        loss = float(-np.log(np.clip(p, 1e-12, 1.0)).mean())
        if loss < best_loss:
            best_t, best_loss = float(t), loss
    return round(best_t, 4)


def choose_threshold(probabilities: Any, y: Any, *, target: float = BAND_TARGET_ACCURACY) -> float:
    """The lowest threshold (0.30 to 0.90, steps of 0.05) above which every band is right often enough.

    A band is the readings whose top probability lies in [s, s + 0.10) (the last one reaches 1.0), for
    each grid point s at or above the threshold; each non-empty band must be right at least `target` of
    the time. Bands, not all kept readings: a mass of sure, right readings must not hide the unsure ones
    just above the threshold, which are the ones the threshold decides about.
    """
    top = probabilities.max(axis=1)
    right = probabilities.argmax(axis=1) == y
    grid = [float(t) for t in np.round(np.arange(0.30, 0.901, 0.05), 2)]
    band_ok = [_band_accuracy(top, right, s) >= target for s in grid]
    for i, threshold in enumerate(grid):
        if all(band_ok[i:]):
            return threshold
    return 0.90


def _band_accuracy(top: Any, right: Any, start: float) -> float:
    """How often the readings with top probability in [start, start + BAND_WIDTH) are right (1.0: none)."""
    end = start + BAND_WIDTH
    members = (top >= start) & ((top < end) if end < 1.0 - 1e-9 else (top <= 1.0))
    return float(right[members].mean()) if members.any() else 1.0
