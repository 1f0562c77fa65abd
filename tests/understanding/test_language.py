"""The language of a message: told apart by py3langid's shipped model, never guessed from a few words."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from rapport.domain import Intent, IntentReading
from rapport.understanding import KeywordClassifier, detect_language, detector_available, read_message
from rapport.understanding import language as language_module

HERE = Path(__file__).parent
DATA = HERE.parents[1] / "src" / "rapport" / "understanding" / "data"
ENGLISH_SETS = [
    DATA / "customer_messages.csv",
    DATA / "customer_messages_2.csv",
    HERE / "heldout" / "customer_messages_heldout.csv",
    HERE / "unseen_messages.csv",
    HERE / "unseen_messages_final.csv",
]
# The one message of those sets that is not in English.
FRENCH_IN_THE_HELDOUT_SET = "Bonjour, je voudrais annuler ma commande 40771 s'il vous plaît"


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_detector_ships_with_rapport() -> None:
    assert detector_available()


def test_messages_in_other_languages_read_as_their_language() -> None:
    found = [
        (r["language"], detect_language(r["text"]), r["text"])
        for r in rows(HERE / "messages_in_other_languages.csv")
    ]
    assert [f for f in found if f[0] != f[1]] == []
    assert len({language for language, _, _ in found}) == 11


def test_no_english_message_of_the_customer_sets_reads_as_another_language() -> None:
    texts = [r["text"] for path in ENGLISH_SETS for r in rows(path)]
    other = {text: language for text in texts if (language := detect_language(text)) not in ("en", "")}
    assert len(texts) > 2_000
    assert other == {FRENCH_IN_THE_HELDOUT_SET: "fr"}


@pytest.mark.parametrize("text", ["refund?", "hi", "ok great", "", "!!!", "12345 67890"])
def test_a_message_too_short_to_tell_has_no_language(text: str) -> None:
    assert detect_language(text) == ""


def test_english_with_a_foreign_greeting_is_english() -> None:
    assert (
        detect_language("Hallo, can I speak to somebody in German please? My English is not so good.") == "en"
    )


def test_a_short_message_in_a_script_without_spaces_is_told() -> None:
    assert detect_language("注文が届きません") == "ja"


def test_a_huge_message_is_read_from_its_start() -> None:
    assert detect_language("Où est mon colis ? " * 50_000) == "fr"


def test_read_message_gives_the_language_with_the_intent() -> None:
    reading = read_message("Bonjour, mon colis n'est toujours pas arrivé", classifier=KeywordClassifier())
    assert reading.language == "fr"
    assert [e.value for e in reading.entities if e.kind == "language"] == ["fr"]


def test_a_message_whose_language_could_not_be_told_has_no_language_entity() -> None:
    reading = read_message("refund?", classifier=KeywordClassifier())
    assert (reading.language, [e for e in reading.entities if e.kind == "language"]) == ("", [])


def test_the_classifiers_reading_is_kept_as_it_is() -> None:
    given = IntentReading(intent=Intent.CANCEL_ORDER, confidence=1.0, source="given")
    assert read_message("Bonjour, je voudrais annuler ma commande", intent=given).reading == given


def test_the_language_is_read_even_when_the_intent_is_given() -> None:
    given = IntentReading(intent=Intent.CANCEL_ORDER, confidence=1.0, source="given")
    reading = read_message("Hallo, ich möchte meine Bestellung stornieren.", intent=given)
    assert (reading.reading.intent, reading.reading.source, reading.language) == (
        Intent.CANCEL_ORDER,
        "given",
        "de",
    )


def test_without_the_detector_every_message_has_no_language(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(language_module, "_identifier", lambda: None)
    assert not detector_available()
    assert detect_language("Bonjour, je voudrais annuler ma commande") == ""
    assert (
        read_message("Bonjour, je voudrais annuler ma commande", classifier=KeywordClassifier()).language
        == ""
    )


def test_a_missing_package_is_reported_as_no_detector(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_py3langid(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("py3langid"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    language_module._loaded_identifier.cache_clear()
    monkeypatch.setattr(builtins, "__import__", no_py3langid)
    try:
        assert language_module._identifier() is None
    finally:
        monkeypatch.undo()
        language_module._loaded_identifier.cache_clear()
    assert detector_available()


def test_threads_that_all_need_the_identifier_at_once_wait_for_one_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading
    import time

    from py3langid import langid

    loads: list[int] = []
    real = langid.LanguageIdentifier.from_model_file

    def slow_load(*args: object, **kwargs: object) -> object:
        loads.append(threading.get_ident())
        time.sleep(0.2)  # long enough for every thread to arrive while the first one loads
        return real(*args, **kwargs)  # type: ignore[arg-type]

    language_module._loaded_identifier.cache_clear()
    monkeypatch.setattr(langid.LanguageIdentifier, "from_model_file", slow_load)
    try:
        threads = [threading.Thread(target=language_module._identifier) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        monkeypatch.undo()
        language_module._loaded_identifier.cache_clear()
    assert len(loads) == 1
