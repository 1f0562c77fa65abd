"""Builders and data paths shared by the understanding tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from rapport.understanding.model import IntentModel, load_packaged_model

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BITEXT_CSV = PROJECT_ROOT.parent / "shared" / "data" / "bitext" / "bitext_customer_support.csv"
# the test data live in understanding_builders (a `from conftest import` can find another folder's conftest)
from understanding_builders import FINAL_CSV, UNSEEN_CSV, unseen_messages  # noqa: E402,F401


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
