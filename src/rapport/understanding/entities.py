"""Entities a customer already told us: order references, e-mails, tracking numbers, money, items, sizes.

Every pattern is anchored on context so that phone numbers, prices, dates and zip codes are not
read as order references: a bare number is an order reference only after an order-like word
(typos tolerated, as customers and Bitext write "oredr", "purchse"), after `#`, or when it is the
name of one of the customer's own orders.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from rapport.domain import Entity, OrderSummary

MAX_ENTITY_CHARS = 20_000  # bound the work on huge messages; references sit near the start

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,24}\b")
_HASH_REF = re.compile(r"(?<![\w&])#\s?([A-Za-z]{0,4}\d{3,20})\b")
_NUMBER = re.compile(r"(?<![\w.,$€£/+-])(\d{3,22})(?![\w/%$€£]|[.,:-]\d)")
_PREFIXED_REF = re.compile(r"\b(?:ORD|ORDER|PO)[-_]\d{4,20}\b", re.IGNORECASE)
# "invoice #12588", "apt #302": numbered things that are not orders (typos of the first three tolerated)
_NOT_ORDER_HASH = {
    "ticket",
    "case",
    "apt",
    "apartment",
    "suite",
    "unit",
    "room",
    "sku",
    "model",
    "item",
    "issue",
}
_NOT_ORDER_HASH_FUZZY = ("invoice", "bill", "receipt")
_GLUED_REF = re.compile(r"\b(?:order|purchase)(\d{5,20})\b", re.IGNORECASE)  # "order732201349959"
_FILLER = {"number", "num", "no", "nr", "id", "ref", "reference", "is", "was", "#", "code", "n", "nbr"}
_ORDER_WORDS = ("order", "purchase")
_NOT_ORDER_WORDS = {"border", "older", "folder", "odder", "recorder", "murder", "boarder"}
_QUANTITY_AFTER = re.compile(
    r"\s*(?:x\b|times\b|items?\b|pieces?\b|pcs\b|units?\b|packs?\b|boxes\b|bottles\b|days?\b|weeks?\b|"
    r"hours?\b|minutes?\b|dollars?\b|euros?\b|bucks\b|pounds\b|usd\b|eur\b|gbp\b|cad\b|aud\b|kg\b|g\b|ml\b|"
    r"lbs?\b|oz\b|cm\b|mm\b|am\b|pm\b)",
    re.IGNORECASE,
)
_PHONE_CONTEXT = re.compile(
    r"\b(?:phone|call|text|tel|mobile|cell|whatsapp|sms|fax|reach me)\b", re.IGNORECASE
)

_UPS = re.compile(r"\b1Z[0-9A-Z]{16}\b", re.IGNORECASE)
_USPS = re.compile(r"\b(?:9[2-5]\d{18,24}|\d{20,22}|[A-Z]{2}\d{9}US)\b")
_DHL = re.compile(r"\b(?:JJD\d{16,20}|GM\d{16,20}|JVGL\d{6,20})\b", re.IGNORECASE)
_TRACKING_CONTEXT = re.compile(
    r"\b(?:tracking|track(?:ing)?\s*(?:no|number|#|id|code)|fedex|fed\s?ex|dhl|ups|usps|waybill|shipment|"
    r"parcel|package|airway bill)\b",
    re.IGNORECASE,
)
_CONTEXT_NUMBER = re.compile(r"\b(\d{10,15})\b")
_TRACKING_LABELLED = re.compile(
    r"\btracking\s*(?:number|no\.?|#|id|code)?\s*(?:is|:|#)?\s*([A-Z0-9]{8,34})\b", re.IGNORECASE
)

_CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP"}
_CURRENCY_WORDS = {
    "usd": "USD", "dollar": "USD", "dollars": "USD", "bucks": "USD", "eur": "EUR", "euro": "EUR",
    "euros": "EUR", "gbp": "GBP", "pound": "GBP", "pounds": "GBP", "cad": "CAD", "aud": "AUD",
}  # fmt: skip
_AMOUNT = r"\d{1,3}(?:[.,\s]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_MONEY_SYMBOL_FIRST = re.compile(rf"(?:([A-Z]{{0,2}})([$€£]))\s?({_AMOUNT})")
_MONEY_SYMBOL_AFTER = re.compile(rf"\b({_AMOUNT})\s?([$€£])")
_MONEY_CODE_FIRST = re.compile(rf"\b(USD|EUR|GBP|CAD|AUD)\s?({_AMOUNT})\b", re.IGNORECASE)
_MONEY_WORD_AFTER = re.compile(
    rf"\b({_AMOUNT})\s?(usd|eur|gbp|cad|aud|dollars?|euros?|bucks|pounds?)\b", re.IGNORECASE
)
# A money amount is a fee ("a $15 late fee", "charged me $15") when one of these words is beside it, in
# the same sentence and with no other amount in between.
_FEE_WORDS = re.compile(
    r"\b(?:fees?|surcharges?|charg(?:e|es|ed|ing)|penalty|penalties|commission|frais|geb(?:ü|ue)hr(?:en)?|"
    r"comisi(?:o|ó)n|commissione|taxa)\b",
    re.IGNORECASE,
)
_FEE_BEFORE_CHARS, _FEE_AFTER_CHARS = 40, 25
_SENTENCE_END = re.compile(r"[.!?;]\s|\n")

_LETTER_SIZE = r"(?:[2-5]XL|X{0,3}S|X{0,3}L|M)"
_SIZE_WORDS = {"small": "S", "medium": "M", "large": "L", "x-large": "XL", "extra large": "XL", "xl": "XL"}
_SIZE_NAMED = re.compile(
    rf"\b(?:size|sz)\s*[:#]?\s*(?:(US|UK|EU|IT|FR)\s?)?"
    rf"({_LETTER_SIZE}(?![\w-])|\d{{1,2}}(?:[.,]5)?(?![\w.,%$€£/])|x-large|extra large|small|medium|large)",
    re.IGNORECASE,
)
_SIZE_ALONE = re.compile(r"(?<![\w-])((?:[2-5]XL|XXX?L|XL|XX?S|XXXS))(?![\w-])")  # capitals only: "XL", "XXS"
_SIZE_REGION = re.compile(r"\b(US|UK|EU)\s?(\d{1,2}(?:[.,]5)?)(?![\w.,%$€£/])")
_SIZE_WAIST_LENGTH = re.compile(r"\b(?:W\s?)?([2-5]\d)\s?(?:[x×]|\s?L)\s?([2-4]\d)\b", re.IGNORECASE)
_SIZE_AFTER_VERB = re.compile(
    r"\b(?:in|ordered|order|need|needed|wear|wearing|want|wanted|get|got|fit|fits|swap(?:\s+it)?\s+for|"
    r"exchange(?:\s+it)?\s+for|sent(?:\s+me)?|received)\s+an?\s+(\d{1,2}(?:[.,]5)?)(?![\w.,%$€£/])",
    re.IGNORECASE,
)
_TITLE_STOP = {
    "the", "and", "with", "for", "set", "pack", "size", "color", "colour", "new", "edition", "small",
    "medium", "large", "black", "white", "blue", "red", "green", "grey", "gray", "pink", "one", "two",
}  # fmt: skip


def extract_entities(text: str, *, known_orders: Sequence[OrderSummary] = ()) -> tuple[Entity, ...]:
    """Order references, e-mails, tracking numbers, money and the customer's own items, in text order."""
    text = text[:MAX_ENTITY_CHARS]
    found: list[Entity] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, value: str, start: int, end: int) -> None:
        if any(start < e and s < end for s, e in taken):
            return  # the first, more specific reading of a span wins
        taken.append((start, end))
        found.append(Entity(kind=kind, value=value, start=start, end=end))

    for m in _EMAIL.finditer(text):
        add("email", m.group(0), m.start(), m.end())
    for kind, value, start, end in _tracking_numbers(text):
        add(kind, value, start, end)
    for value, start, end in _order_refs(text, known_orders):
        add("order_ref", value, start, end)
    for value, start, end in _money(text):
        add("money", value, start, end)
    for value, start, end in _items(text, known_orders):
        add("item", value, start, end)
    for value, start, end in _sizes(text):
        add("size", value, start, end)
    found.sort(key=lambda e: e.start)
    return _mark_fees(text, found)


def _mark_fees(text: str, entities: list[Entity]) -> tuple[Entity, ...]:
    """Money entities with a fee word beside them get `role="fee"` (see _FEE_WORDS)."""
    money = [e for e in entities if e.kind == "money"]
    fees: set[int] = set()
    for index, entity in enumerate(money):
        previous_end = money[index - 1].end if index > 0 else 0
        next_start = money[index + 1].start if index + 1 < len(money) else len(text)
        before = text[max(previous_end, entity.start - _FEE_BEFORE_CHARS) : entity.start]
        after = text[entity.end : min(next_start, entity.end + _FEE_AFTER_CHARS)]
        before = _SENTENCE_END.split(before)[-1]
        after = _SENTENCE_END.split(after)[0]
        if _FEE_WORDS.search(before) or _FEE_WORDS.search(after):
            fees.add(entity.start)
    return tuple(
        Entity(e.kind, e.value, e.start, e.end, role="fee") if e.kind == "money" and e.start in fees else e
        for e in entities
    )


def _sizes(text: str) -> list[tuple[str, int, int]]:
    """Clothing and shoe sizes: "size M", "size: 10", "XL", "EU 42", "32x34", "ordered a 10"."""
    hits: list[tuple[str, int, int]] = []
    for m in _SIZE_NAMED.finditer(text):
        value = m.group(2)
        value = _SIZE_WORDS.get(value.lower(), value.upper() if value[0].isalpha() else value)
        hits.append((f"{m.group(1).upper()} {value}" if m.group(1) else value, m.start(), m.end()))
    hits += [(m.group(1), m.start(), m.end()) for m in _SIZE_ALONE.finditer(text)]
    hits += [(f"{m.group(1).upper()} {m.group(2)}", m.start(), m.end()) for m in _SIZE_REGION.finditer(text)]
    hits += [(f"{m.group(1)}x{m.group(2)}", m.start(), m.end()) for m in _SIZE_WAIST_LENGTH.finditer(text)]
    for m in _SIZE_AFTER_VERB.finditer(text):
        if not _QUANTITY_AFTER.match(text, m.end()) and not re.match(
            r"\s*(?:-\s*)?(?:day|week|hour)", text[m.end() :]
        ):
            hits.append((m.group(1), m.start(1), m.end(1)))  # "a 10", not "a 10 pack" or "a 2-day"
    return hits


def _tracking_numbers(text: str) -> list[tuple[str, str, int, int]]:
    hits = [("tracking_number", m.group(0).upper(), m.start(), m.end()) for m in _UPS.finditer(text)]
    hits += [("tracking_number", m.group(0), m.start(), m.end()) for m in _USPS.finditer(text)]
    hits += [("tracking_number", m.group(0).upper(), m.start(), m.end()) for m in _DHL.finditer(text)]
    for m in _TRACKING_LABELLED.finditer(text):
        if any(ch.isdigit() for ch in m.group(1)):
            hits.append(("tracking_number", m.group(1).upper(), m.start(1), m.end(1)))
    if _TRACKING_CONTEXT.search(text):
        # FedEx (12/15 digits) and DHL Express (10 digits) look like any number: only with carrier context,
        # and never right after an order word (then it is the order's id).
        for m in _CONTEXT_NUMBER.finditer(text):
            if len(m.group(1)) in (10, 12, 15) and not _after_order_word(text, m.start(1)):
                if not _PHONE_CONTEXT.search(text[max(0, m.start() - 30) : m.start()]):
                    hits.append(("tracking_number", m.group(1), m.start(1), m.end(1)))
    return hits


def _order_refs(text: str, known_orders: Sequence[OrderSummary]) -> list[tuple[str, int, int]]:
    refs = [
        (m.group(1).upper(), m.start(), m.end())
        for m in _HASH_REF.finditer(text)
        if not _numbers_something_else(text[max(0, m.start() - 20) : m.start()])
    ]
    refs += [(m.group(0).upper(), m.start(), m.end()) for m in _PREFIXED_REF.finditer(text)]
    refs += [(m.group(1), m.start(1), m.end(1)) for m in _GLUED_REF.finditer(text)]
    known = {order_key(o.name) for o in known_orders} | {order_key(o.id) for o in known_orders}
    known.discard("")
    for m in _NUMBER.finditer(text):
        digits = m.group(1)
        if _QUANTITY_AFTER.match(text, m.end()) or _is_date_like(text, m.start(), m.end()):
            continue
        if _after_order_word(text, m.start()) or digits.lstrip("0") in known:
            refs.append((digits, m.start(), m.end()))
    return refs


def _after_order_word(text: str, start: int) -> bool:
    """Whether the number at `start` follows an order-like word (fillers like 'number', 'no.' allowed)."""
    words = re.findall(r"[A-Za-z#]+", text[max(0, start - 40) : start])
    between = text[max(0, start - 40) : start]
    sentence_end = re.search(r"(\w+)\.\s+$", between)
    if re.search(r"[!?;]\s*$", between) or (sentence_end and sentence_end.group(1).lower() not in _FILLER):
        return False  # "... my order. 300 people ..." is a new sentence, "order no. 1042" is not
    for word in reversed(words[-4:]):
        lowered = word.lower()
        if _is_order_word(lowered):
            return True
        if lowered not in _FILLER:
            return False
    return False


def _numbers_something_else(before: str) -> bool:
    """Whether the word before a '#number' says it is an invoice, ticket, apartment … rather than an order."""
    words = re.findall(r"[a-z]+", before.lower())
    if not words:
        return False
    word = words[-1]
    return word in _NOT_ORDER_HASH or any(_damerau(word, w) <= 1 for w in _NOT_ORDER_HASH_FUZZY)


def _is_order_word(word: str) -> bool:
    if word in _NOT_ORDER_WORDS or len(word) < 4:
        return False
    if word in ("ordered", "orders", "ord") or word.endswith(_ORDER_WORDS):
        return True
    return _damerau(word, "order") <= 1 or _damerau(word, "purchase") <= 2


def _damerau(a: str, b: str) -> int:
    """Optimal string alignment distance (typos: insertion, deletion, substitution, swap)."""
    if abs(len(a) - len(b)) > 2:
        return 3
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _is_date_like(text: str, start: int, end: int) -> bool:
    before, after = text[max(0, start - 1) : start], text[end : end + 1]
    return (
        before in ("/", "-", ".") or after in ("/", "-") or bool(re.match(r"(?:19|20)\d\d$", text[start:end]))
    )


def order_key(reference: str) -> str:
    """A comparable form of an order reference or id: '#1042', '1042', 'gid://shopify/Order/1042' → '1042'."""
    ref = reference.strip().lstrip("#").rsplit("/", 1)[-1].upper()
    return ref.lstrip("0") if ref.isdigit() else ref


def _money(text: str) -> list[tuple[str, int, int]]:
    hits: list[tuple[str, int, int]] = []
    for m in _MONEY_SYMBOL_FIRST.finditer(text):
        currency = {"US": "USD", "CA": "CAD", "A": "AUD", "AU": "AUD", "C": "CAD"}.get(m.group(1).upper())
        hits.append((_money_value(m.group(3), currency or _CURRENCY_SYMBOLS[m.group(2)]), m.start(), m.end()))
    for m in _MONEY_SYMBOL_AFTER.finditer(text):
        hits.append((_money_value(m.group(1), _CURRENCY_SYMBOLS[m.group(2)]), m.start(), m.end()))
    for m in _MONEY_CODE_FIRST.finditer(text):
        hits.append((_money_value(m.group(2), m.group(1).upper()), m.start(), m.end()))
    for m in _MONEY_WORD_AFTER.finditer(text):
        hits.append((_money_value(m.group(1), _CURRENCY_WORDS[m.group(2).lower()]), m.start(), m.end()))
    return [h for h in hits if h[0]]


def _money_value(amount: str, currency: str) -> str:
    """'12,50' / '1,299.00' / '1.299,00' → '12.50 EUR' style; empty when the amount is not a number."""
    cleaned = amount.replace(" ", "")
    if re.search(r"[.,]\d{1,2}$", cleaned):
        whole, cents = cleaned[: -3 if cleaned[-3] in ".," else -2], cleaned[-2:].lstrip(".,")
        cleaned = re.sub(r"[.,]", "", whole) + "." + cents
    else:
        cleaned = re.sub(r"[.,]", "", cleaned)
    try:
        return f"{Decimal(cleaned).quantize(Decimal('0.01'))} {currency}"
    except InvalidOperation:
        return ""


def _items(text: str, known_orders: Sequence[OrderSummary]) -> list[tuple[str, int, int]]:
    hits: list[tuple[str, int, int]] = []
    lowered = text.lower()
    titles = {item.title for order in known_orders for item in order.line_items}
    for title in sorted(titles, key=len, reverse=True):
        full = lowered.find(title.lower())
        if full >= 0:
            hits.append((title, full, full + len(title)))
            continue
        for word in _title_words(title):
            m = re.search(rf"\b{re.escape(word)}(?:e?s)?\b", lowered)
            if m:
                hits.append((title, m.start(), m.end()))
                break
    return hits


def _title_words(title: str) -> list[str]:
    """The naming words of a product title: variant parts (after ' - ' or in parentheses) dropped."""
    base = re.sub(r"\(.*?\)", " ", title.split(" - ")[0].split(" / ")[0])
    words = [w for w in re.findall(r"[a-z]{3,}", base.lower()) if w not in _TITLE_STOP]
    return list(reversed(words))  # the head noun usually comes last: "Ceramic Mug" → try "mug" first
