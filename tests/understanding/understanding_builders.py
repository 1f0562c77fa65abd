"""Readable test data for the understanding tests."""

from __future__ import annotations

import csv
import zlib
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np

from rapport.domain import LineItem, OrderSummary


def an_order(
    name: str = "#1042",
    *,
    id: str = "5123456789012",
    day: int = 1,
    fulfillment_status: str = "fulfilled",
    financial_status: str = "paid",
    items: tuple[str, ...] = ("Ceramic Mug - Blue",),
    cancelled: bool = False,
) -> OrderSummary:
    """An order with readable defaults: #1042, paid and fulfilled, one blue mug."""
    return OrderSummary(
        id=id,
        name=name,
        created_at=datetime(2026, 5, day, tzinfo=UTC),
        total=Decimal("40.00"),
        currency="USD",
        financial_status=financial_status,
        fulfillment_status=fulfillment_status,
        line_items=tuple(LineItem(title=t, price=Decimal("20.00")) for t in items),
        cancelled=cancelled,
    )


UNSEEN_CSV = Path(__file__).with_name("unseen_messages.csv")
FINAL_CSV = Path(__file__).with_name("unseen_messages_final.csv")  # written after all tuning; never tuned on


def unseen_messages(path: Path = UNSEEN_CSV) -> list[tuple[str, str]]:
    """Messages written for testing only, never used in training: (text, intent)."""
    with path.open(newline="", encoding="utf-8") as fh:
        return [(row["text"], row["intent"]) for row in csv.DictReader(fh)]


DIM = 64


class HashedWords:
    """A stand-in encoder: unit-length hashed bag of words."""

    def encode(self, texts):  # type: ignore[no-untyped-def]
        out = np.zeros((len(texts), DIM))
        for row, text in enumerate(texts):
            for word in text.lower().replace(".", " ").replace("!", " ").split():
                out[row, zlib.crc32(word.encode()) % DIM] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] /= norm if norm else 1.0
        return out

    def token_states(self, text):  # type: ignore[no-untyped-def]
        raise NotImplementedError
