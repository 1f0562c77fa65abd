"""The merchant: the tenant whose policy, currency and customers a use case works with."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Merchant:
    """A merchant as stored; `currency` is the one its policy's limits and amounts are in."""

    id: int
    slug: str
    currency: str
