"""read_message: the one call triage makes, robust to whatever arrives."""

from __future__ import annotations

import time

import pytest
from understanding_builders import an_order

from rapport.domain import Intent
from rapport.understanding import KeywordClassifier, read_message


def test_the_default_classifier_is_the_combined_model_with_the_encoder_else_the_tfidf_model() -> None:
    from rapport.understanding.encoder import load_encoder

    expected = "combined" if load_encoder() is not None else "model"  # the encoder is an optional extra
    assert read_message("where is my parcel?").reading.source == expected


def test_a_given_classifier_is_used_instead_of_the_model() -> None:
    assert read_message("where is my parcel?", classifier=KeywordClassifier()).reading.source == "keywords"


def test_entities_and_signals_are_read_with_the_intent() -> None:
    reading = read_message(
        "Order #1042: the mug is broken!!! I'll dispute the charge with my bank",
        known_orders=[an_order("#1042")],
    )
    found = ({e.kind for e in reading.entities}, {s.kind for s in reading.signals})
    assert found == ({"order_ref", "item", "language"}, {"anger", "chargeback_threat"})


def test_an_empty_message_is_other_and_needs_a_human() -> None:
    reading = read_message("").reading
    assert (reading.intent, reading.needs_human) == (Intent.OTHER, True)


@pytest.mark.parametrize(
    "text",
    [
        "Wo ist meine Bestellung? Ich warte seit zwei Wochen.",
        "¿Dónde está mi pedido? Lo compré hace un mes.",
        "我的订单在哪里？",
        "Où est ma commande, s'il vous plaît ?",
    ],
)
def test_a_non_english_message_is_other_and_needs_a_human(text: str) -> None:
    reading = read_message(text).reading
    assert (reading.intent, reading.needs_human) == (Intent.OTHER, True)


def test_a_100_kb_message_is_read_quickly_without_error() -> None:
    huge = ("My order #1042 arrived broken and I am very upset about it. " * 1700)[:100_000]
    started = time.perf_counter()
    reading = read_message(huge)
    assert (reading.reading.intent, time.perf_counter() - started < 1.0) == (Intent.DAMAGED_ITEM, True)


def test_a_100_kb_message_of_noise_is_other() -> None:
    reading = read_message("x" * 100_000).reading
    assert (reading.intent, reading.needs_human) == (Intent.OTHER, True)
