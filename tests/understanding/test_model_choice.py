"""Choosing between TF-IDF, encoder and their combination by out-of-fold scores on the training rows.

The figures are checked on hand-made out-of-fold probabilities; one small run of `out_of_fold` (a fake
embedder, 2 folds, a few dozen rows) checks what is scored.
"""

from __future__ import annotations

import numpy as np
import pytest
from understanding_builders import HashedWords

from rapport.domain import Intent
from rapport.understanding.model_choice import OutOfFold, choose, compare, out_of_fold, score
from rapport.understanding.training import Example

CLASSES = ("billing_issue", "damaged_item", "other")


def an_oof(tfidf: list[list[float]], encoder: list[list[float]], truth: list[int]) -> OutOfFold:
    return OutOfFold(CLASSES, np.array(truth), np.array(tfidf), np.array(encoder), 1.0, 2)


# each model is right on two of the three rows, and their average on all three
EACH_HALF_RIGHT = an_oof(
    tfidf=[[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.5, 0.1, 0.4]],
    encoder=[[0.4, 0.5, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]],
    truth=[0, 1, 2],
)


def test_weight_zero_scores_the_tfidf_model_alone_and_weight_one_the_encoder_alone() -> None:
    tfidf_only, encoder_only = score(EACH_HALF_RIGHT, 0.0), score(EACH_HALF_RIGHT, 1.0)
    assert (tfidf_only.name, tfidf_only.top1_accuracy) == ("TF-IDF only", pytest.approx(2 / 3, abs=1e-4))
    assert (encoder_only.name, encoder_only.top1_accuracy) == ("encoder only", pytest.approx(2 / 3, abs=1e-4))


def test_the_average_is_chosen_when_it_reads_more_rows_right_out_of_fold() -> None:
    chosen = choose(compare(EACH_HALF_RIGHT, (0.0, 0.5, 1.0)))
    assert (chosen.encoder_weight, chosen.top1_accuracy) == (0.5, 1.0)


def test_between_equally_accurate_candidates_the_lower_log_loss_wins() -> None:
    same = an_oof(
        tfidf=[[0.6, 0.3, 0.1], [0.2, 0.7, 0.1]], encoder=[[0.9, 0.05, 0.05], [0.05, 0.9, 0.05]], truth=[0, 1]
    )
    assert choose(compare(same, (0.0, 1.0))).encoder_weight == 1.0


def test_an_abstention_counts_as_right_only_when_the_truth_is_other() -> None:
    unsure = an_oof(tfidf=[[0.4, 0.35, 0.25]] * 2, encoder=[[0.4, 0.35, 0.25]] * 2, truth=[2, 0])
    candidate = score(unsure, 0.0)
    assert (candidate.coverage, candidate.accuracy) == (0.0, 0.5)


def rows_of(intent: Intent, words: list[str], origin: str) -> list[Example]:
    return [
        Example(f"{w} {v}", intent, origin)
        for w in words
        for v in ("please", "today", "now", "again", "help")
    ]


def test_every_candidate_is_scored_on_the_own_rows_only_in_the_same_folds() -> None:
    own = [
        *rows_of(Intent.DAMAGED_ITEM, ["mug arrived broken", "lamp cracked"], "own.csv"),
        *rows_of(Intent.BILLING_ISSUE, ["charged twice card", "double charge"], "own.csv"),
        *rows_of(Intent.WEBSITE_ISSUE, ["website page error", "app crash"], "own.csv"),
    ]
    bitext = rows_of(Intent.DAMAGED_ITEM, ["item broken on arrival"], "bitext")
    oof = out_of_fold([*own, *bitext], HashedWords(), seed=1, folds=2)
    assert (oof.tfidf.shape, oof.encoder.shape, len(oof.truth)) == ((30, 3), (30, 3), 30)
    assert np.allclose(np.concatenate([oof.tfidf, oof.encoder]).sum(axis=1), 1.0)
    assert score(oof, 0.5).top1_accuracy > 0.8
