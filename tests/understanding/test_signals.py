"""Urgency and risk signals, each with the words that showed it."""

from __future__ import annotations

import pytest

from rapport.understanding import detect_signals


def kinds(text: str, **kwargs: int) -> set[str]:
    return {s.kind for s in detect_signals(text, **kwargs)}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("This is absolutely ridiculous, worst service ever", "anger"),
        ("this is the third time I've written about this", "repeat_contact"),
        ("I'll dispute this with my bank if it isn't fixed", "chargeback_threat"),
        ("I'm filing a chargeback today", "chargeback_threat"),
        ("my lawyer will be in touch", "legal_threat"),
        ("I will report you to the Better Business Bureau", "legal_threat"),
        ("please cancel my account, I'm done", "cancel_account"),
        ("the charger overheated and burned my hand", "safety_issue"),
        ("my son had an allergic reaction to it", "safety_issue"),
        ("WHERE IS MY ORDER I PAID TWO WEEKS AGO", "all_caps"),
        ("I need it by Friday for my daughter's wedding", "deadline"),
    ],
)
def test_each_signal_is_detected_from_its_typical_wording(text: str, kind: str) -> None:
    assert kind in kinds(text)


def test_a_calm_question_raises_no_signal() -> None:
    assert kinds("Hi, could you tell me when my parcel will ship? Thanks") == set()


def test_many_recent_contacts_count_as_repeated_contact() -> None:
    assert "repeat_contact" in kinds("hello", contacts_last_90d=4)


def test_few_recent_contacts_do_not_count_as_repeated_contact() -> None:
    assert "repeat_contact" not in kinds("hello", contacts_last_90d=1)


def test_a_single_acronym_is_not_shouting() -> None:
    assert "all_caps" not in kinds("my UPS parcel is late")


def test_a_signal_names_the_words_that_showed_it() -> None:
    (signal,) = detect_signals("my attorney will hear about this")
    assert (signal.kind, signal.evidence) == ("legal_threat", "attorney")


def test_anger_after_a_negation_is_not_anger() -> None:
    from rapport.understanding.signals import detect_signals as _detect

    assert "anger" not in [s.kind for s in _detect("I'm not angry, just confused")]
    assert "anger" not in [s.kind for s in _detect("honestly I'm not at all annoyed")]
    assert "anger" in [s.kind for s in _detect("not a joke, I am furious")]
