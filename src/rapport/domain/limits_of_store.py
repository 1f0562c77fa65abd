"""What the store can hold, and the one check of every imported value against it.

The store's column sizes are defined here as plain constants: `rapport.store.models` declares its
columns with them, so the limits cannot drift from the tables. Every source (JSON Lines, Shopify CSV
exports, the Shopify sync and webhooks) checks its values with the functions below *before* they reach
the database, so that a value the store cannot hold rejects its own line or row (with a message naming
the field) instead of failing the batch it is in, on SQLite and PostgreSQL alike.

The checks return a one-line problem (`"total: 100000000000000 is more than the store holds (at most
9999999999.99)"`), or None when the value is fine; `checked(...)` raises `InvalidInput` with it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

from rapport.domain.errors import InvalidInput

# -- Column sizes (rapport.store.models) -------------------------------------------------------------

MONEY_DIGITS = 12  # Numeric(12, 2): every amount
MONEY_PLACES = 2
ZERO = Decimal(0)
CENT = Decimal(1).scaleb(-MONEY_PLACES)
MONEY_MAX = Decimal(10 ** (MONEY_DIGITS - MONEY_PLACES)) - CENT  # 9999999999.99
INTEGER_MAX = 2**31 - 1  # Integer is 32-bit on PostgreSQL (quantities, loyalty points, positions)

ID_LENGTH = 100  # external ids (customers, orders, subscriptions, contacts)
EMAIL_LENGTH = 320
PERSON_NAME_LENGTH = 200  # first and last names
LOCALE_LENGTH = 20
LOYALTY_TIER_LENGTH = 50
TAG_LENGTH = 100
ORDER_NAME_LENGTH = 100
CURRENCY_LENGTH = 3
STATUS_LENGTH = 40  # order financial/fulfillment status, subscription status
TITLE_LENGTH = 500  # line item titles, subscription products
SKU_LENGTH = 100
LABEL_LENGTH = 60  # contact intent, outcome, granted offer

# A customer known by e-mail only is stored under the external id `email:<e-mail>`.
EMAIL_KEY_PREFIX = "email:"
KEYED_EMAIL_LENGTH = ID_LENGTH - len(EMAIL_KEY_PREFIX)

# -- Instants: the same range as the API's instants from outside (rapport.schemas.parse_instant) ------

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)  # exclusive: the last supported instant is in 2199
SUPPORTED_YEARS = "years 1970 to 2199"

EMAIL = re.compile(r"[^@\s]+@[^@\s]+")  # the one e-mail rule: something@something, no spaces
CURRENCY = re.compile(r"[A-Z]{3}")
SHOWN = 40  # characters of a bad value quoted in a message


def _shown(value: object) -> str:
    text = str(value)
    return text if len(text) <= SHOWN else f"{text[:SHOWN]}…"


# -- Quick yes/no checks: the common case (every value fine) without building a message --------------


def fits_text(value: str | None, length: int) -> bool:
    return value is None or (len(value) <= length and "\x00" not in value)


def fits_email(value: str | None) -> bool:
    return value is None or (
        len(value) <= EMAIL_LENGTH and "\x00" not in value and EMAIL.fullmatch(value) is not None
    )


def fits_money(value: Decimal) -> bool:
    return value.is_finite() and ZERO <= value <= MONEY_MAX and value.quantize(CENT) == value


def fits_whole(value: int) -> bool:
    return 0 <= value <= INTEGER_MAX


def fits_instant(value: datetime | None) -> bool:
    """True for None or an aware instant in the supported years (a naive one takes the longer way)."""
    if value is None:
        return True
    try:
        return value.tzinfo is not None and EARLIEST <= value < LATEST
    except (OverflowError, TypeError):
        return False


# -- The checks, with the message ---------------------------------------------------------------------


def money_problem(value: Decimal, field: str) -> str | None:
    """An amount the store holds exactly: finite, not negative, at most 2 decimals, below 10 billion."""
    if fits_money(value):
        return None
    if not value.is_finite():
        return f"{field}: {value} is not a number"
    if value < 0:
        return f"{field}: {_shown(value)} is negative"
    if value > MONEY_MAX:
        return f"{field}: {_shown(value)} is more than the store holds (at most {MONEY_MAX})"
    return f"{field}: {value} has more than {MONEY_PLACES} decimals"


def whole_problem(value: int, field: str) -> str | None:
    """A count the store holds: 0 to INTEGER_MAX."""
    if value < 0:
        return f"{field}: {_shown(value)} is negative"
    if value > INTEGER_MAX:
        return f"{field}: {_shown(value)} is more than the store holds (at most {INTEGER_MAX})"
    return None


def text_problem(value: str | None, field: str, length: int) -> str | None:
    """Text of at most `length` characters without NUL characters (PostgreSQL cannot store them)."""
    if value is None:
        return None
    if "\x00" in value:
        return f"{field}: contains a NUL character"
    if len(value) > length:
        return f"{field}: {len(value)} characters, more than the store holds (at most {length})"
    return None


def email_problem(value: str | None, field: str = "email", *, keyed: bool = False) -> str | None:
    """The one e-mail rule: `something@something` without spaces, at most EMAIL_LENGTH characters.

    `keyed`: the e-mail of a customer known by e-mail only, which is also its external id."""
    if value is None:
        return None
    problem = text_problem(value, field, KEYED_EMAIL_LENGTH if keyed else EMAIL_LENGTH)
    if problem is not None:
        return problem + (" for a customer without an id" if keyed and "NUL" not in problem else "")
    if EMAIL.fullmatch(value) is None:
        return f"{field}: not an e-mail address ({_shown(value)!r})"
    return None


def fits_currency(value: str | None) -> bool:
    """None, or 3 letters A-Z (the same as CURRENCY, in C string methods rather than a regex)."""
    return value is None or (len(value) == 3 and value.isascii() and value.isalpha() and value.isupper())


def currency_problem(value: str | None, field: str = "currency") -> str | None:
    if fits_currency(value):
        return None
    return f"{field}: not a 3-letter currency code ({_shown(value)!r})"


def instant_problem(value: datetime | None, field: str) -> str | None:
    """An instant within the supported years (naive means UTC)."""
    if value is None:
        return None
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None or value.utcoffset() is None else value
    try:
        if EARLIEST <= aware < LATEST:
            return None
    except OverflowError:  # an offset pushing year 1 or 9999 past datetime's range
        pass
    return f"{field}: {aware.isoformat()} is outside the supported range ({SUPPORTED_YEARS})"


def checked(problem: str | None) -> None:
    """Raise `InvalidInput` with the problem, if there is one."""
    if problem is not None:
        raise InvalidInput(problem)
