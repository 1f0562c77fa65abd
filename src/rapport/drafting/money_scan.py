"""Find money amounts and percentages in free text, in any of the locales Rapport writes.

An amount is a number next to a currency marker (symbol, ISO code or currency word), before or
after it: "$25.00", "25,00 €", "1 234,50 $US", "USD 25", "25 dollars", "$  25". The number may be
written in words ("one hundred fifty dollars", "a hundred and fifty bucks") and scaled ("$150k",
"1.5k dollars", "$2 million"); slang is money by itself ("two grand", "ten large", "a fiver").
Bare numbers (order names, dates, "5 business days") are not money. Each amount carries the
currencies its marker can mean (none for slang, which names no currency).

The number and currency words here are the one vocabulary of amounts: the verifier of a model's
own words (`model_words.py`) reads the same lists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import get_currency_symbol, list_currencies

# Locales whose symbols we recognise, besides the customer's: a model may write any of them.
_SYMBOL_LOCALES = ("en_US", "en_GB", "en_CA", "en_AU", "de_DE", "de_CH", "fr_FR", "fr_CA", "es_ES", "it_IT",
                   "nl_NL", "ja_JP", "sv_SE")  # fmt: skip
_DOLLARS = frozenset({"USD", "CAD", "AUD", "NZD", "SGD", "HKD"})
# Currency words, with the currencies they may mean.
CURRENCY_WORDS: dict[str, frozenset[str]] = {
    **dict.fromkeys(("dollar", "dollars"), _DOLLARS),
    **dict.fromkeys(("us dollar", "us dollars"), frozenset({"USD"})),
    **dict.fromkeys(("buck", "bucks"), frozenset({"USD", "CAD", "AUD"})),
    **dict.fromkeys(("euro", "euros"), frozenset({"EUR"})),
    **dict.fromkeys(("pound", "pounds", "quid"), frozenset({"GBP"})),
    "yen": frozenset({"JPY"}),
    **dict.fromkeys(("franc", "francs"), frozenset({"CHF"})),
    **dict.fromkeys(("rupee", "rupees"), frozenset({"INR"})),
    **dict.fromkeys(("peso", "pesos"), frozenset({"MXN"})),
    **dict.fromkeys(("krona", "kronor", "krone", "kroner"), frozenset({"SEK", "NOK", "DKK"})),
    # ISO codes as a model may write them in lower case ("25 usd").
    **{code.lower(): frozenset({code})
       for code in ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY", "SEK", "NZD")},
}  # fmt: skip
# Hundredths of a currency: "fifty cents" is 0.50.
SUBUNIT_WORDS: dict[str, frozenset[str]] = {
    **dict.fromkeys(("cent", "cents"), _DOLLARS | {"EUR"}),
    **dict.fromkeys(("penny", "pennies", "pence"), frozenset({"GBP"})),
}
# Numbers in words. "dozen" counts; "a"/"an" only before a scale ("a hundred", "a grand").
NUMBER_WORDS: dict[str, int] = (
    {
        word: value
        for value, word in enumerate(
            "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
            "sixteen seventeen eighteen nineteen".split()
        )
    }
    | {
        word: 10 * tens
        for tens, word in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)
    }
    | {"dozen": 12}
)
SCALE_WORDS: dict[str, int] = {
    "hundred": 100,
    "hundo": 100,
    "thousand": 10**3,
    "million": 10**6,
    "billion": 10**9,
}
# Slang that is money without a currency marker: a scale ("two grand", "ten large") or an amount ("a fiver").
MONEY_SCALES: dict[str, int] = {"grand": 10**3, "large": 10**3}
SLANG_AMOUNTS: dict[str, int] = {"fiver": 5, "tenner": 10, "c-note": 100, "c note": 100}
# Words that make an amount vague: it is money, but no exact value ("a few K", "sixty-odd euros").
VAGUE_WORDS = frozenset({"few", "several", "odd"})
_COUPLE = "couple"  # "a couple of dollars": two (not a number word of model_words: "a couple of days")

_NUMBER = r"\d{1,3}(?:[.,\u00a0\u202f' ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_PERCENT = re.compile(
    r"(?<![\w.,])(\d+(?:[.,]\d+)?)[\u00a0\u202f ]?(?:%|percent\b|per cent\b)", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class MoneyMention:
    """One amount found in a text: its value, the marker written, and what that marker may mean.

    `amount` is None when the words give no exact value ("a few K", "sixty-odd euros"): such an
    amount is never the decided one."""

    amount: Decimal | None
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
    for word, codes in (CURRENCY_WORDS | SUBUNIT_WORDS).items():
        index.setdefault(word, set()).update(codes)
    return {marker: frozenset(codes) for marker, codes in index.items()}


def alternatives(words: Iterable[str]) -> str:
    """The words as one regex alternation, longest first (so "dollars" is tried before "dollar")."""
    return "|".join(sorted(words, key=len, reverse=True))


_GAP = "\u00a0\u202f \t"
# Words that may follow an amount ("a grand to your account") but not an adjective ("a grand gesture").
_AFTER_AMOUNT = (
    "to for in into over back of on and or as from more extra off if when now today is was will plus".split()
)
_LETTER = r"[^\W\d_]"
_TOKENS = alternatives([*NUMBER_WORDS, *SCALE_WORDS, *VAGUE_WORDS, _COUPLE])
_PHRASE = rf"(?:{_TOKENS})(?:[\s-]+(?:and[\s-]+)?(?:{_TOKENS}))*(?!{_LETTER})"
_AFTER_ARTICLE = alternatives([*SCALE_WORDS, *MONEY_SCALES, *VAGUE_WORDS, _COUPLE, "dozen"])
_QUANTITY = re.compile(
    rf"(?P<digits>(?<![\d.,])(?:{_NUMBER})(?!\d))"
    rf"|(?<!{_LETTER})(?P<words>an?\s+(?=(?:{_AFTER_ARTICLE})(?!{_LETTER}))(?:{_PHRASE})?|{_PHRASE})"
    rf"(?P<of>\s+of(?!{_LETTER}))?",
    re.I,
)
_SCALE_AFTER = re.compile(
    rf"[ \u00a0]?(?:(?P<letter>k|m|bn|mn)|(?P<word>{alternatives([*SCALE_WORDS, *MONEY_SCALES])}))"
    rf"(?!{_LETTER})(?P<more>[ \u00a0]+(?!(?:{alternatives(_AFTER_AMOUNT)})(?!{_LETTER})){_LETTER})?",
    re.I,
)
_LETTER_SCALES = {"k": 10**3, "m": 10**6, "mn": 10**6, "bn": 10**9}
_SLANG = re.compile(rf"(?<!{_LETTER})(?P<word>{alternatives(SLANG_AMOUNTS)})s?(?!{_LETTER})", re.I)
_MONEY_WORDS = CURRENCY_WORDS.keys() | SUBUNIT_WORDS.keys()
_PRICE_DASHES = (".-", ",-")


def _marker(candidate: str) -> frozenset[str] | None:
    if candidate in _PRICE_DASHES:
        return frozenset()  # "64.-", "150,-": a price, in no currency in particular
    index = _marker_index()
    if candidate in index and (candidate not in _MONEY_WORDS or candidate.islower()):
        return index[candidate]
    lowered = candidate.lower()
    return index[lowered] if lowered in _MONEY_WORDS else None


def _marker_before(text: str, start: int) -> tuple[str, int] | None:
    """The marker written before position `start` and where it starts ("$  150": spaces may part them)."""
    end = start
    while end > 0 and text[end - 1] in _GAP:
        end -= 1
    for size in range(min(7, end), 0, -1):  # longest marker first: "US$" before "$"
        candidate = text[end - size : end]
        if _marker(candidate) is None:
            continue
        if candidate[0].isalnum() and end - size > 0 and text[end - size - 1].isalnum():
            continue  # part of a longer word
        return candidate, end - size
    return None


def _marker_after(text: str, end: int) -> tuple[str, int] | None:
    """The marker written after position `end` and where it ends."""
    begin = end
    while begin < len(text) and text[begin] in _GAP:
        begin += 1
    for size in range(min(10, len(text) - begin), 0, -1):  # longest first: "US dollars" before "US"
        candidate = text[begin : begin + size]
        if _marker(candidate) is None:
            continue
        if candidate[-1].isalpha() and begin + size < len(text) and text[begin + size].isalpha():
            continue
        return candidate, begin + size
    return None


def parse_number(raw: str) -> Decimal | None:
    """A written number as a Decimal: "1.234,50" and "1,234.50" are both 1234.50; "1.000" is 1000
    (but "0.038" is 0.038: no thousands group starts with 0)."""
    compact = re.sub(r"[\u00a0\u202f' ]", "", raw)
    last = max(compact.rfind("."), compact.rfind(","))
    if last >= 0 and (len(compact) - last - 1 in (1, 2) or compact[:last] == "0"):
        whole, frac = compact[:last], compact[last + 1 :]
        compact = re.sub(r"[.,]", "", whole) + "." + frac
    else:
        compact = re.sub(r"[.,]", "", compact)
    try:
        return Decimal(compact)
    except InvalidOperation:
        return None


def parse_number_words(phrase: str) -> Decimal | None:
    """A number written in words: "one hundred fifty" and "a hundred and fifty" are 150, "twelve
    hundred" is 1200, "a couple" is 2; None for a vague one ("a few", "sixty-odd")."""
    total = current = 0
    for word in re.findall(r"[a-z]+", phrase.lower()):
        if word in VAGUE_WORDS:
            return None
        if SCALE_WORDS.get(word) == 100:
            current = (current or 1) * 100
        elif word in SCALE_WORDS:
            total, current = total + (current or 1) * SCALE_WORDS[word], 0
        elif word == _COUPLE:
            current += 2
        else:
            current += NUMBER_WORDS.get(word, 0)  # "a", "and"
    return Decimal(total + current)


def _scaled(text: str, value: Decimal | None, end: int, *, bare: bool) -> tuple[Decimal | None, int, bool]:
    """The value times the scale written at `end` ("k", "million", "grand"), where the scale ends,
    and whether the scale is money slang by itself. "large", and "grand" after a bare article, end a
    phrase ("ten large." but not "two large mugs"; "a grand." but not "a grand gesture")."""
    m = _SCALE_AFTER.match(text, end)
    if m is None:
        return value, end, False
    word = (m.group("word") or "").lower()
    if m.group("more") and (word == "large" or (bare and word == "grand")):
        return value, end, False
    if m.group("letter"):
        factor, stop = _LETTER_SCALES[m.group("letter").lower()], m.end("letter")
    else:
        factor, stop = SCALE_WORDS.get(word) or MONEY_SCALES[word], m.end("word")
    return (None if value is None else (value or Decimal(1)) * factor), stop, word in MONEY_SCALES


def _mention(text: str, match: re.Match[str]) -> tuple[tuple[int, MoneyMention] | None, int]:
    """The amount a number starts, if it is money, with where it starts; and where to search on."""
    digits, words = match.group("digits"), (match.group("words") or "").rstrip()
    end = match.start() + len(digits or words)
    value = parse_number(digits) if digits else parse_number_words(words)
    bare = words.lower() in ("a", "an")
    value, end, slang = _scaled(text, value, end, bare=bare)
    if match.group("of") and end == match.start() + len(words):  # "a couple of grand", "a few of..."
        value, end, slang = _scaled(text, value, match.end(), bare=bare)
    if bare and not slang:
        return None, match.start() + 1  # "a" alone is no number
    before = _marker_before(text, match.start())
    if before is not None and words and before[0].isalpha() and not before[0].isupper():
        before = None  # "in dollars ten days later": a currency word is no marker before words
    after = None if before else _marker_after(text, end)
    marker = before or after
    if marker is None and not slang:
        return None, end
    codes = frozenset() if marker is None else (_marker(marker[0]) or frozenset())
    if marker is not None and marker[0].lower() in SUBUNIT_WORDS and value is not None:
        value = value / 100
    start = before[1] if before else match.start()
    stop = after[1] if after else end
    written = marker[0] if marker else text[match.start() : end]
    return (start, MoneyMention(amount=value, marker=written, currencies=codes, text=text[start:stop])), stop


def find_money(text: str) -> list[MoneyMention]:
    """Every amount next to a currency marker, or in money slang, in order of appearance."""
    found: list[tuple[int, MoneyMention]] = []
    pos = 0
    while (match := _QUANTITY.search(text, pos)) is not None:
        mention, pos = _mention(text, match)
        if mention is not None:
            found.append(mention)
    for m in _SLANG.finditer(text):
        value = Decimal(SLANG_AMOUNTS[m.group("word").lower()])
        found.append((m.start(), MoneyMention(value, m.group(0), frozenset(), m.group(0))))
    return [mention for _, mention in sorted(found, key=lambda item: item[0])]


def find_percents(text: str) -> list[Decimal]:
    """Every percentage written in the text ("15%", "15 %", "12,5 percent")."""
    values = []
    for match in _PERCENT.finditer(text):
        value = parse_number(match.group(1))
        if value is not None:
            values.append(value)
    return values
