"""Find money amounts and percentages in free text, in any of the locales Rapport writes.

An amount is a number next to a currency marker (symbol, ISO code or currency word), before or
after it: "$25.00", "25,00 €", "1 234,50 $US", "USD 25", "25 dollars". Bare numbers (order names,
dates, "5 business days") are not money. Each amount carries the currencies its marker can mean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import get_currency_symbol, list_currencies

# Locales whose symbols we recognise, besides the customer's: a model may write any of them.
_SYMBOL_LOCALES = ("en_US", "en_GB", "en_CA", "en_AU", "de_DE", "de_CH", "fr_FR", "fr_CA", "es_ES", "it_IT",
                   "nl_NL", "ja_JP", "sv_SE")  # fmt: skip
_WORDS = {
    "dollar": {"USD", "CAD", "AUD", "NZD", "SGD", "HKD"},
    "dollars": {"USD", "CAD", "AUD", "NZD", "SGD", "HKD"},
    "bucks": {"USD", "CAD", "AUD"},
    "euro": {"EUR"},
    "euros": {"EUR"},
    "pound": {"GBP"},
    "pounds": {"GBP"},
    "quid": {"GBP"},
    "yen": {"JPY"},
    "francs": {"CHF"},
    # ISO codes as a model may write them in lower case ("25 usd").
    **{code.lower(): {code} for code in ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY", "SEK", "NZD")},
}
_NUMBER = r"\d{1,3}(?:[.,\u00a0\u202f' ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_PERCENT = re.compile(
    r"(?<![\w.,])(\d+(?:[.,]\d+)?)[\u00a0\u202f ]?(?:%|percent\b|per cent\b)", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class MoneyMention:
    """One amount found in a text: its value, the marker written, and what that marker may mean."""

    amount: Decimal
    marker: str
    currencies: frozenset[str]
    text: str


@lru_cache(maxsize=1)
def _marker_index() -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for code in list_currencies():
        index.setdefault(code, set()).add(code)
        for loc in _SYMBOL_LOCALES:
            symbol = get_currency_symbol(code, locale=loc)
            if symbol != code:
                index.setdefault(symbol, set()).add(code)
    for word, codes in _WORDS.items():
        index.setdefault(word, set()).update(codes)
    return {marker: frozenset(codes) for marker, codes in index.items()}


_NUMBER_AT = re.compile(rf"(?<![\d.,])(?:{_NUMBER})(?!\d)")
_GAP = "\u00a0\u202f "


def _marker(candidate: str) -> frozenset[str] | None:
    index = _marker_index()
    if candidate in index and (candidate not in _WORDS or candidate.islower()):
        return index[candidate]
    lowered = candidate.lower()
    return index[lowered] if lowered in _WORDS else None


def _marker_before(text: str, start: int) -> str | None:
    end = start - 1 if start > 0 and text[start - 1] in _GAP else start
    for size in range(min(7, end), 0, -1):  # longest marker first: "US$" before "$"
        candidate = text[end - size : end]
        if _marker(candidate) is None:
            continue
        if candidate[0].isalnum() and end - size > 0 and text[end - size - 1].isalnum():
            continue  # part of a longer word
        return candidate
    return None


def _marker_after(text: str, end: int) -> str | None:
    begin = end + 1 if end < len(text) and text[end] in _GAP else end
    for size in range(min(8, len(text) - begin), 0, -1):
        candidate = text[begin : begin + size]
        if _marker(candidate) is None:
            continue
        if candidate[-1].isalpha() and begin + size < len(text) and text[begin + size].isalpha():
            continue
        return candidate
    return None


def parse_number(raw: str) -> Decimal | None:
    """A written number as a Decimal: "1.234,50" and "1,234.50" are both 1234.50; "1.000" is 1000."""
    compact = re.sub(r"[\u00a0\u202f' ]", "", raw)
    last = max(compact.rfind("."), compact.rfind(","))
    if last >= 0 and len(compact) - last - 1 in (1, 2):
        whole, frac = compact[:last], compact[last + 1 :]
        compact = re.sub(r"[.,]", "", whole) + "." + frac
    else:
        compact = re.sub(r"[.,]", "", compact)
    try:
        return Decimal(compact)
    except InvalidOperation:
        return None


def find_money(text: str) -> list[MoneyMention]:
    """Every amount next to a currency marker, in order of appearance."""
    found = []
    for match in _NUMBER_AT.finditer(text):
        before = _marker_before(text, match.start())
        marker = before or _marker_after(text, match.end())
        value = parse_number(match.group(0))
        if marker is None or value is None:
            continue
        codes = _marker(marker) or frozenset()
        if before:
            start = match.start() - len(before) - (1 if text[match.start() - 1] in _GAP else 0)
            shown = text[start : match.end()]
        else:
            gap = 1 if match.end() < len(text) and text[match.end()] in _GAP else 0
            shown = text[match.start() : match.end() + gap + len(marker)]
        found.append(MoneyMention(amount=value, marker=marker, currencies=codes, text=shown))
    return found


def find_percents(text: str) -> list[Decimal]:
    """Every percentage written in the text ("15%", "15 %", "12,5 percent")."""
    values = []
    for match in _PERCENT.finditer(text):
        value = parse_number(match.group(1))
        if value is not None:
            values.append(value)
    return values
