"""Builders and data paths shared by the understanding tests."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from rapport.understanding.model import IntentModel, load_packaged_model

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BITEXT_CSV = PROJECT_ROOT.parent / "shared" / "data" / "bitext" / "bitext_customer_support.csv"
UNSEEN_CSV = Path(__file__).with_name("unseen_messages.csv")
FINAL_CSV = Path(__file__).with_name("unseen_messages_final.csv")  # written after all tuning; never tuned on


def unseen_messages(path: Path = UNSEEN_CSV) -> list[tuple[str, str]]:
    """Messages written for testing only, never used in training: (text, intent)."""
    with path.open(newline="", encoding="utf-8") as fh:
        return [(row["text"], row["intent"]) for row in csv.DictReader(fh)]


@pytest.fixture(scope="session")
def model() -> IntentModel:
    """The packaged trained model."""
    loaded = load_packaged_model()
    assert loaded is not None, "the packaged model is missing: run `rapport model train`"
    return loaded


@pytest.fixture(scope="session")
def bitext_csv() -> Path:
    """The Bitext CSV from ../shared/data; tests using it skip when it is absent."""
    if not BITEXT_CSV.exists():
        pytest.skip(f"Bitext data not found at {BITEXT_CSV}")
    return BITEXT_CSV
