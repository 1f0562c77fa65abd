"""Training from Rapport's own code: deterministic, and meeting the targets on Bitext."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from rapport.domain.errors import InvalidInput
from rapport.understanding.evaluation import evaluate, order_id_recall
from rapport.understanding.model import IntentModel, prepare
from rapport.understanding.training import (
    BITEXT_MAPPING,
    EXAMPLES_CSV,
    export_model,
    fit_pipeline,
    is_held_out,
    read_labelled_csv,
    train,
    training_examples,
)

PROBES = ["my lamp is broken", "where is my parcel", "cancel my subscription", "wrong colour sent"]


def test_training_twice_with_the_same_seed_gives_the_same_model() -> None:
    examples = training_examples([], [EXAMPLES_CSV])
    first, second = train(examples, seed=3), train(examples, seed=3)
    assert np.array_equal(first.probabilities(PROBES), second.probabilities(PROBES))


def test_the_shipped_model_computes_the_same_probabilities_as_the_scikit_learn_pipeline() -> None:
    from scipy.sparse import hstack

    examples = read_labelled_csv(EXAMPLES_CSV)
    word, char, calibrated = fit_pipeline(
        [e.text for e in examples], [e.intent.value for e in examples], seed=1
    )
    texts = [prepare(t) for t in [*PROBES, "", "a", "?!", "x" * 3000]]
    features = hstack([word.transform(texts), char.transform(texts)]).tocsr()
    exported = export_model(word, char, calibrated)
    assert np.allclose(exported.probabilities(texts), calibrated.predict_proba(features), atol=1e-9)


def test_the_shipped_examples_cover_every_intent() -> None:
    from rapport.domain import Intent
    from rapport.understanding.training import CUSTOMER_CSV

    assert {e.intent for e in read_labelled_csv(EXAMPLES_CSV)} == set(Intent) - {Intent.WEBSITE_ISSUE}
    assert {e.intent for e in read_labelled_csv(CUSTOMER_CSV)} == set(Intent)


def test_naming_the_customer_messages_reads_every_batch_of_them_once() -> None:
    from rapport.domain import Intent
    from rapport.understanding.training import (
        CUSTOMER_BATCHES,
        CUSTOMER_CSV,
        CUSTOMER_CSV_2,
        CUSTOMER_CSV_3,
        CUSTOMER_CSV_4,
    )

    rows = training_examples([], [CUSTOMER_CSV, CUSTOMER_CSV_2])
    for batch, at_least in ((CUSTOMER_CSV_2, 1_200), (CUSTOMER_CSV_3, 1_000)):
        of_batch = [e for e in rows if e.origin == batch.name]
        assert {e.intent for e in of_batch} == set(Intent)
        assert len(of_batch) >= at_least
    of_fourth = [e for e in rows if e.origin == CUSTOMER_CSV_4.name]  # a targeted batch: not every intent
    assert len(of_fourth) >= 250
    assert len(rows) == sum(len(read_labelled_csv(batch)) for batch in CUSTOMER_BATCHES)


def test_the_packaged_model_file_is_small() -> None:
    from rapport.understanding.training import MODEL_PATH

    assert MODEL_PATH.stat().st_size < 2 * 1024 * 1024


def test_a_csv_with_an_unknown_intent_is_reported_with_its_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("text,intent\nhello,feedback\nhi,teleport\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"bad\.csv:3: unknown intent 'teleport'"):
        read_labelled_csv(bad)


def test_training_leaves_the_bitext_held_out_rows_out(bitext_csv: Path) -> None:
    trained_on = {e.text for e in training_examples([bitext_csv], [])}
    assert not any(is_held_out(t) for t in trained_on)


def test_the_packaged_model_reaches_macro_f1_095_on_held_out_bitext(
    bitext_csv: Path, model: IntentModel
) -> None:
    rows = [e for e in read_labelled_csv(bitext_csv, text_column="instruction", mapping=BITEXT_MAPPING)]
    held_out = [e for e in rows if is_held_out(e.text)]
    predicted = [r.intent.value for r in model.classify_many([e.text for e in held_out])]
    assert evaluate([e.intent.value for e in held_out], predicted).macro_f1 >= 0.95


def test_every_bitext_order_id_is_extracted(bitext_csv: Path) -> None:
    with bitext_csv.open(newline="", encoding="utf-8") as fh:
        rows = [
            (r["instruction"], r["entity_value"], int(r["start_offset"]), int(r["end_offset"]))
            for r in csv.DictReader(fh)
            if r["entity_type"] == "order_id"
        ]
    recall = order_id_recall(rows)
    assert recall.misses == ()
