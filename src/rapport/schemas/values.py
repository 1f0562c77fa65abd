"""The scalar wire types: money and percentages as exact strings, instants as ISO 8601 with an offset.

`parse_instant` is the one reading of a time from outside (the API's `now`, the CLI's `--now`, the
date-times of `rapport draft check` lines): ISO 8601, no offset means UTC, and only years 1970-2199,
so that no computed due date or 90-day window can overflow into a 500 or a traceback.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from rapport.domain.errors import InvalidInput

CENT = Decimal("0.01")
NO_NUL = r"^[^\x00]*$"
"""The pattern of every text read from outside: no NUL character (PostgreSQL cannot store one, and no
person types one)."""
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)  # exclusive: the last supported instant is in 2199
SUPPORTED = "years 1970 to 2199"


def money(value: Decimal) -> str:
    """Money as a string with two decimals ("12.50"): exact, and JSON-safe."""
    return f"{value.quantize(CENT)}"


def parse_instant(value: str | datetime, *, where: str = "time") -> datetime:
    """An aware instant from ISO 8601 text (or a datetime); naive means UTC. Raises `InvalidInput`."""
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInput(
                f"{where}: {value!r} is not an ISO 8601 date-time (e.g. 2026-11-20T12:00:00+00:00)"
            ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        in_range = EARLIEST <= parsed < LATEST
    except OverflowError:  # an offset pushing year 1 or 9999 past datetime's range
        in_range = False
    if not in_range:
        raise InvalidInput(f"{where}: {parsed.isoformat()} is outside the supported range ({SUPPORTED})")
    return parsed


def _instant_in(value: Any) -> datetime:
    if not isinstance(value, str | datetime):
        raise PydanticCustomError("instant", "expected an ISO 8601 date-time string")
    try:
        return parse_instant(value, where="date-time")
    except InvalidInput as exc:
        raise PydanticCustomError("instant", exc.message.removeprefix("date-time: ")) from None


def _decimal_in(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise PydanticCustomError("decimal", "expected a number or a decimal string")
    try:
        parsed = Decimal(str(value))
    except InvalidOperation:
        raise PydanticCustomError("decimal", "{value} is not a number", {"value": repr(value)}) from None
    if not parsed.is_finite():
        raise PydanticCustomError("decimal", "{value} is not a finite number", {"value": repr(value)})
    return parsed


_INSTANT_SCHEMA = WithJsonSchema({"type": "string", "format": "date-time"})
# What is read: the same, and only the supported years (the pattern says so to every client).
_INSTANT_IN_SCHEMA = WithJsonSchema(
    {
        "type": "string",
        "format": "date-time",
        "pattern": r"^(19[7-9]\d|2[01]\d\d)-",
        "examples": ["2026-11-20T12:00:00Z"],
    }
)
_MONEY_SCHEMA = WithJsonSchema({"type": "string", "pattern": r"^-?\d+\.\d{2}$", "examples": ["42.00"]})

Instant = Annotated[datetime, PlainSerializer(datetime.isoformat, return_type=str), _INSTANT_SCHEMA]
"""An instant as Rapport writes it: `datetime.isoformat()`, e.g. "2026-11-20T13:00:00+00:00"."""

InstantIn = Annotated[
    datetime, PlainValidator(_instant_in), PlainSerializer(datetime.isoformat), _INSTANT_IN_SCHEMA
]
"""An instant read from outside: see `parse_instant`."""

Money = Annotated[Decimal, PlainSerializer(money, return_type=str), _MONEY_SCHEMA]
"""An amount with two decimals, written as a string ("12.50")."""

Percent = Annotated[Decimal, PlainSerializer(str, return_type=str), WithJsonSchema({"type": "string"})]
"""A percentage, written as the policy gave it ("15" or "15.5")."""

DecimalIn = Annotated[Decimal, PlainValidator(_decimal_in), PlainSerializer(str, return_type=str)]
"""A number read from outside: a JSON number or a decimal string."""
