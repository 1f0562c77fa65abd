"""The combined intent model: the encoder's and the TF-IDF model's probabilities averaged, tempered."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from understanding_builders import HashedWords

from rapport.domain import Intent
from rapport.understanding.combined_model import Combination, combine, mixture, tempered
from rapport.understanding.encoder_model import EncoderIntentModel
from rapport.understanding.model import IntentModel
from rapport.understanding.training import Example, train, train_encoder

PHRASES = {
    Intent.DAMAGED_ITEM: ["mug arrived broken", "lamp cracked", "vase smashed"],
    Intent.BILLING_ISSUE: ["charged twice card", "double charge", "wrong payment amount"],
    Intent.WEBSITE_ISSUE: ["website page error", "app crash", "checkout page broken"],
}
ENDINGS = ("please", "today", "now", "again")
ROWS = [Example(f"{p} {e}", i, "own.csv") for i, ps in PHRASES.items() for p in ps for e in ENDINGS]
PROBES = ["my mug arrived broken", "you charged my card twice", "the checkout page shows an error"]


@pytest.fixture(scope="module")
def parts() -> tuple[EncoderIntentModel, IntentModel]:
    return train_encoder(ROWS, HashedWords(), seed=1, folds=2), train(ROWS, seed=1)


def a_combination(weight: float = 0.4, *, threshold: float = 0.3) -> Combination:
    return Combination(weight, 0.6, threshold, tfidf_sha256="t", encoder_sha256="e", metadata={})


def test_the_combined_probabilities_are_the_tempered_average_of_both_models(parts) -> None:  # type: ignore[no-untyped-def]
    encoder_model, tfidf_model = parts
    combined = combine(encoder_model, tfidf_model, a_combination(0.4))
    columns = [tfidf_model.labels.index(label) for label in encoder_model.labels]
    expected = tempered(
        mixture(tfidf_model.probabilities(PROBES)[:, columns], encoder_model.probabilities(PROBES), 0.4), 0.6
    )
    assert np.allclose(combined.probabilities(PROBES), expected, atol=1e-12)


def test_a_combined_reading_says_it_is_combined_and_reads_the_intents(parts) -> None:  # type: ignore[no-untyped-def]
    combined = combine(*parts, a_combination())
    readings = [combined.classify(p) for p in PROBES]
    assert [r.intent for r in readings] == list(PHRASES)
    assert {r.source for r in readings} == {"combined"}


def test_under_the_combinations_threshold_the_message_goes_to_a_human_with_candidates(parts) -> None:  # type: ignore[no-untyped-def]
    reading = combine(*parts, a_combination(threshold=0.999)).classify("my mug arrived broken")
    assert (reading.intent, reading.needs_human, reading.candidates[0][0]) == (
        Intent.OTHER,
        True,
        Intent.DAMAGED_ITEM,
    )


def test_reading_many_messages_at_once_reads_each_as_alone(parts) -> None:  # type: ignore[no-untyped-def]
    combined = combine(*parts, a_combination())
    texts = [*PROBES, "My mug arrived broken. Also you charged my card twice."]
    assert combined.classify_many(texts) == [combined.classify(t) for t in texts]


def test_a_tfidf_model_without_one_of_the_encoders_intents_is_refused(parts) -> None:  # type: ignore[no-untyped-def]
    encoder_model, _ = parts
    parcels = [
        Example(f"where is my parcel {e} {n}", Intent.WHERE_IS_MY_ORDER) for e in ENDINGS for n in "abc"
    ]
    no_website = train([r for r in ROWS if r.intent != Intent.WEBSITE_ISSUE] + parcels, seed=1)
    with pytest.raises(ValueError, match="website_issue"):
        combine(encoder_model, no_website, a_combination())


def test_the_combination_file_round_trips(tmp_path: Path) -> None:
    combination = a_combination()
    combination.save(tmp_path / "combined.json")
    assert Combination.load(tmp_path / "combined.json") == combination


def test_a_combination_chosen_with_other_model_files_does_not_match_them(tmp_path: Path) -> None:
    tfidf, encoder = tmp_path / "tfidf.joblib", tmp_path / "encoder.npz"
    tfidf.write_bytes(b"a model")
    encoder.write_bytes(b"another model")
    assert not a_combination().matches(tfidf, encoder)
