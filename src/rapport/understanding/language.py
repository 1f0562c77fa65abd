"""The language a message is written in (ISO 639-1), by py3langid's model, which its package ships.

py3langid (BSD-3-Clause, 4.5 MB, numpy only) is chosen by measurement over lingua-language-detector
(96 MB): docs/understanding.md, "Language". The detector only chooses among `READABLE_LANGUAGES`, and a
message too short to tell (under three words, or four letters of a script without spaces) reads as ""
rather than as a guess: "refund?" is not German. Without the package (an environment installed before it
was a dependency) every message reads as "" — `detector_available()` says so, and the engine then
treats the language as unknown (docs/policy.md, `escalation.languages`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from threading import Lock
from typing import Protocol

from rapport.domain.ticket import READABLE_LANGUAGES

MAX_LANGUAGE_CHARS = 2_000  # the language shows in the first lines; bounds the work on huge messages
MIN_WORDS = 3
MIN_UNSPACED_LETTERS = 4  # Chinese, Japanese, Thai: no spaces between words
_WORD = re.compile(r"[^\W\d_]{2,}")
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")


class _Identifier(Protocol):
    def classify(self, text: str) -> tuple[str, float]: ...


_first_load = Lock()


def _identifier() -> _Identifier | None:
    """The identifier, loaded once per process: a server's threads that all meet their first message at
    once wait for one load instead of each loading it (40 at once took 48 s; one load takes ~1.2 s)."""
    with _first_load:
        return _loaded_identifier()


@lru_cache(maxsize=1)
def _loaded_identifier() -> _Identifier | None:
    """py3langid's identifier restricted to READABLE_LANGUAGES (~1.4 s: the model is xz-compressed);
    None when the package is not installed."""
    try:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier
    except ImportError:
        return None
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(READABLE_LANGUAGES))
    return identifier  # type: ignore[no-any-return]


def detector_available() -> bool:
    """Whether messages can be told apart by language (py3langid is installed)."""
    return _identifier() is not None


def long_enough(text: str) -> bool:
    """Whether `text` carries enough words for its language to be told."""
    return len(_WORD.findall(text)) >= MIN_WORDS or len(_UNSPACED.findall(text)) >= MIN_UNSPACED_LETTERS


def detect_language(text: str) -> str:
    """The ISO 639-1 code of the language `text` is written in; "" when too short or no detector."""
    text = (text or "")[:MAX_LANGUAGE_CHARS]
    if not long_enough(text):
        return ""
    identifier = _identifier()
    if identifier is None:
        return ""
    language, _confidence = identifier.classify(text)
    return str(language)
