"""Read one inbound message: intent, entities, signals and language, behind one call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from threading import Lock
from typing import Protocol

from rapport.domain import Entity, IntentReading, OrderSummary, Signal
from rapport.understanding.entities import extract_entities
from rapport.understanding.keywords import KeywordClassifier
from rapport.understanding.language import detect_language
from rapport.understanding.signals import detect_signals


class IntentClassifier(Protocol):
    """Anything that reads the intent of a message."""

    def classify(self, text: str) -> IntentReading:
        """The intent of `text`, its confidence, and whether a human should look."""
        ...


@dataclass(frozen=True, slots=True)
class MessageReading:
    """What was read from one message; its language is an entity (`kind="language"`) when it was told."""

    reading: IntentReading
    entities: tuple[Entity, ...]
    signals: tuple[Signal, ...]

    @property
    def language(self) -> str:
        """ISO 639-1 code of the message's language; "" when it could not be told."""
        return next((e.value for e in self.entities if e.kind == "language"), "")


_first_load = Lock()


def default_classifier() -> IntentClassifier:
    """The best classifier installed, loaded once per process: the threads of a server that all see their
    first message at once wait for one load instead of each loading the models (20 at once took 47 s)."""
    with _first_load:
        return _best_installed_classifier()


def classifier_named(name: str) -> IntentClassifier:
    """`best`: the best installed classifier (`default_classifier`); `tfidf`: the packaged TF-IDF model
    (the keyword baseline if it is missing, as `default_classifier` would fall back)."""
    if name == "tfidf":
        from rapport.understanding.model import load_packaged_model

        with _first_load:
            model = load_packaged_model()
        return model if model is not None else KeywordClassifier()
    return default_classifier()


@lru_cache(maxsize=1)
def _best_installed_classifier() -> IntentClassifier:
    """The best classifier installed.

    The combined model (the encoder model's and the TF-IDF model's probabilities averaged, as chosen out
    of fold) when the optional `encoder` extra and its weights are installed; the encoder model alone if
    the combination is missing or was chosen with other model files; else the packaged TF-IDF model; else
    the keyword baseline.
    """
    from rapport.understanding.combined_model import load_packaged_combined_model
    from rapport.understanding.encoder_model import load_packaged_encoder_model
    from rapport.understanding.model import load_packaged_model

    combined = load_packaged_combined_model()
    if combined is not None:
        return combined
    encoder_model = load_packaged_encoder_model()
    if encoder_model is not None:
        return encoder_model
    model = load_packaged_model()
    return model if model is not None else KeywordClassifier()


def read_message(
    text: str,
    *,
    classifier: IntentClassifier | None = None,
    intent: IntentReading | None = None,
    known_orders: Sequence[OrderSummary] = (),
    contacts_last_90d: int = 0,
) -> MessageReading:
    """Intent (default: the trained model), entities, urgency signals and language of one message.

    An `intent` already known (named by the agent or the help desk) is used as it is: the classifier
    does not run (the language is still read). Never raises on odd input: empty, huge or non-English
    text reads as `other`, flagged for a human.
    """
    text = text or ""
    if intent is None:
        intent = (classifier if classifier is not None else default_classifier()).classify(text)
    entities = extract_entities(text, known_orders=known_orders)
    language = detect_language(text)
    return MessageReading(
        reading=intent,
        entities=(*entities, Entity(kind="language", value=language)) if language else entities,
        signals=detect_signals(text, contacts_last_90d=contacts_last_90d),
    )
