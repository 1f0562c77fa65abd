"""Message understanding: intent (trained model or keyword baseline), entities, urgency signals, language,
order."""

from rapport.understanding.entities import extract_entities
from rapport.understanding.keywords import KeywordClassifier
from rapport.understanding.language import detect_language, detector_available
from rapport.understanding.orders import resolve_order
from rapport.understanding.reading import IntentClassifier, MessageReading, default_classifier, read_message
from rapport.understanding.signals import detect_signals

__all__ = [
    "IntentClassifier",
    "KeywordClassifier",
    "MessageReading",
    "default_classifier",
    "detect_language",
    "detect_signals",
    "detector_available",
    "extract_entities",
    "read_message",
    "resolve_order",
]
