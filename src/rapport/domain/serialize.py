"""Going away: every wire format now lives in `rapport.schemas`.

Only `money` is left, for `rapport.drafting.facts` (drafting may not import `rapport.schemas`);
delete this module once that import is gone.
"""

from __future__ import annotations

from decimal import Decimal


def money(value: Decimal | None) -> str | None:
    """Money as a string with two decimals ("12.50"): exact, and JSON-safe."""
    return None if value is None else f"{value.quantize(Decimal('0.01'))}"
