"""One line of a JSON Lines import: its schema (pydantic) and the one-line message for a bad line."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)
from pydantic_core import ErrorDetails

from rapport.domain import OfferKind

KINDS = ("customer", "order", "subscription", "contact")


# The shape and types of a line only: what the store can hold (sizes, ranges, NUL characters, e-mails,
# currencies, the supported years) is checked on the records built from it, by the one check every
# source shares (`record.problem()`, rapport.domain.limits_of_store).
# A time without an offset is taken to be UTC: the store's UtcDateTime column type does it, which is
# much cheaper than a Python validator on every line (docs/import-format.md).
When = datetime
Money = Decimal
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Text = Annotated[str, StringConstraints(strip_whitespace=True)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Currency = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True)]


class Line(BaseModel):
    # Unknown fields are ignored so that exports with more columns import as they are.
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


class CustomerLine(Line):
    kind: Literal["customer"]
    id: Id
    email: Email
    first_name: Text | None = None
    last_name: Text | None = None
    locale: str | None = None
    created_at: When | None = None
    updated_at: When | None = None
    tags: list[Label] = []
    loyalty_tier: str | None = None
    loyalty_points: int = 0
    accepts_marketing: bool = False


class LineItemLine(Line):
    title: Label
    quantity: int = 1
    price: Money = Decimal("0.00")
    sku: str | None = None


class OrderLine(Line):
    kind: Literal["order"]
    id: Id
    customer_id: Id
    name: Label | None = None
    created_at: When
    total: Money
    currency: Currency | None = None
    financial_status: Label = "paid"
    fulfillment_status: Label = "unfulfilled"
    cancelled_at: When | None = None
    updated_at: When | None = None
    line_items: list[LineItemLine] = []


class SubscriptionLine(Line):
    kind: Literal["subscription"]
    id: Id
    customer_id: Id
    status: Label
    product: str | None = None
    price: Money | None = None
    currency: Currency | None = None
    next_billing_at: When | None = None


class Granted(Line):
    offer: OfferKind
    amount: Money | None = None
    currency: Currency | None = None


class ContactLine(Line):
    kind: Literal["contact"]
    id: Id
    customer_id: Id
    created_at: When
    intent: Label
    outcome: str | None = None
    granted: Granted | None = None


AnyLine = CustomerLine | OrderLine | SubscriptionLine | ContactLine
_ADAPTER: TypeAdapter[AnyLine] = TypeAdapter(Annotated[AnyLine, Field(discriminator="kind")])


def parse_line(raw: bytes | str) -> AnyLine | str:
    """The record on this line, or a one-line message saying what is wrong with it."""
    try:
        return _ADAPTER.validate_json(raw)
    except ValidationError as exc:
        messages = [_message(error) for error in exc.errors(include_url=False)]
        # "order: created_at: missing; total: not a number" — the kind is said once.
        kind = messages[0].split(": ", 1)[0] + ": "
        return messages[0] + "".join("; " + m.removeprefix(kind) for m in messages[1:])


def _message(error: ErrorDetails) -> str:
    kind, *loc = error["loc"] or ("",)
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    kind_type = error["type"]
    if kind_type == "json_invalid":
        return f"not valid JSON ({ctx.get('error', error['msg'])})"
    if kind_type == "union_tag_not_found":
        return f'missing "kind" (one of {", ".join(KINDS)})'
    if kind_type == "union_tag_invalid":
        return f"unknown kind {ctx.get('tag')!r} (expected one of {', '.join(KINDS)})"
    if kind_type in ("model_attributes_type", "model_type", "dict_type") and not loc:
        return "expected a JSON object"
    where = _location(loc)
    return f"{kind}: {where}: {_what(kind_type, error['msg'], loc)}" if where else f"{kind}: {error['msg']}"


def _location(loc: list[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


FRIENDLY = {
    "missing": "missing",
    "decimal_parsing": "not a number",
    "decimal_type": "not a number",
    "int_parsing": "not a whole number",
    "int_type": "not a whole number",
    "int_from_float": "not a whole number",
    "datetime_parsing": "not an ISO 8601 date-time (e.g. 2026-11-20T12:00:00+00:00)",
    "datetime_from_date_parsing": "not an ISO 8601 date-time (e.g. 2026-11-20T12:00:00+00:00)",
    "datetime_type": "not an ISO 8601 date-time (e.g. 2026-11-20T12:00:00+00:00)",
    "decimal_max_places": "more than 2 decimals",
    "decimal_max_digits": "too large",
    "string_type": "not a string",
    "list_type": "not a list",
    "bool_parsing": "not true or false",
    "bool_type": "not true or false",
}


def _what(kind_type: str, msg: str, loc: list[int | str]) -> str:
    field = loc[-1] if loc else ""
    if kind_type == "string_pattern_mismatch":
        return "not an e-mail address" if field == "email" else "not a 3-letter currency code"
    return FRIENDLY.get(kind_type, msg[:1].lower() + msg[1:])
