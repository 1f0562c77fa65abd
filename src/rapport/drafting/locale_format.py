"""Money, percentages and dates as the customer reads them (Babel), and English number words."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_percent

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINAL_IRREGULAR = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}


@lru_cache(maxsize=64)
def resolve_locale(*candidates: str | None) -> str:
    """The first candidate Babel knows ("de-DE" and "de_DE" both work), else "en_US"."""
    for candidate in candidates:
        if not candidate:
            continue
        try:
            return str(Locale.parse(candidate.replace("-", "_")))
        except (ValueError, UnknownLocaleError):
            continue
    return "en_US"


def money_text(amount: Decimal, currency: str, locale: str) -> str:
    """An amount as the customer's locale writes it: "$25.00", "25,00 €", "25,00 $US"."""
    return format_currency(amount, currency, locale=locale)


def percent_text(percent: Decimal, locale: str) -> str:
    """A percentage given in points (15 means 15%) as the locale writes it: "15%", "15 %"."""
    return format_percent(percent / 100, locale=locale, decimal_quantization=False)


def date_text(value: datetime, locale: str) -> str:
    """A calendar date in the locale's long form: "March 3, 2026", "3. März 2026"."""
    return format_date(value.date(), format="long", locale=locale)


def cardinal_words(n: int) -> str:
    """English words for 0..999 ("twenty-one"); digits with separators beyond that."""
    if n < 0 or n > 999:
        return f"{n:,}"
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    hundreds, rest = divmod(n, 100)
    return f"{_ONES[hundreds]} hundred" + (f" and {cardinal_words(rest)}" if rest else "")


def ordinal_words(n: int) -> str:
    """English ordinal words for 1..999 ("tenth", "twenty-first"); "1,000th" beyond that."""
    if n < 1 or n > 999:
        suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n:,}{suffix}"
    words = cardinal_words(n)
    head, sep, last = words.rpartition("-") if "-" in words.split(" ")[-1] else words.rpartition(" ")
    if last in _ORDINAL_IRREGULAR:
        last = _ORDINAL_IRREGULAR[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return f"{head}{sep}{last}"
