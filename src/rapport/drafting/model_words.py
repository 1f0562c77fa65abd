"""The verifier of a model's own words: the opening and closing around the offer Rapport renders.

A model-worded reply is three parts: the model's opening (greeting, acknowledgement, loyalty
recognition), the offer paragraph and sign-off rendered by Rapport from the decision, and the
model's closing. The offer is never the model's to state, so its words have nothing to say about
money, offers, conditions or deadlines, and the rules here are deliberately blunt: a word that
*could* carry a commitment fails, whatever surrounds it ("we can't refund you" fails like "we'll
refund you"; negations do not excuse). Anything doubtful fails and the template draft is used.

Each rule is general (a category of mistake, never a phrase seen once); docs/drafting.md lists
the codes. The text is NFKC-normalised first, so full-width digits and ligatures read as plain.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from babel.numbers import list_currencies

from rapport.domain import CustomerProfile, Ticket
from rapport.drafting.draft import BrandSettings, Violation
from rapport.drafting.money_scan import (
    CURRENCY_WORDS,
    MONEY_SCALES,
    NUMBER_WORDS,
    SCALE_WORDS,
    SLANG_AMOUNTS,
    SUBUNIT_WORDS,
    alternatives,
)

MAX_OPENING = 700
MAX_CLOSING = 400
ECHO_WORDS = 8

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_DIGITS = re.compile(r"\d+")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n\s*|[\"“(]\s*)$")

_MONTHS = "january february march april may june july august september october november december"
_DAYS = "monday tuesday wednesday thursday friday saturday sunday"
# Capitalised words a reply may use mid-sentence besides this customer's and the brand's names.
_PROPER_OK = frozenset([*_MONTHS.split(), *_DAYS.split(), "i", "vip", "ok"])
_ACRONYMS_OK = frozenset({"I", "VIP", "OK"})

# The number words of money_scan (one vocabulary), but "one" alone ("a new one", "the one"); "large"
# is money slang only after a number ("ten large"), and a reply may well say "a large box".
_CARDINALS = [w for w in (*NUMBER_WORDS, *SCALE_WORDS, *MONEY_SCALES) if w not in ("one", "large")]
_ORDINALS = (
    "second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
    "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth thirtieth fortieth "
    "fiftieth sixtieth seventieth eightieth ninetieth hundredth thousandth"
).split()
_NUMBER_WORD = re.compile(
    r"\b(?:(?:"
    + "|".join(_CARDINALS + _ORDINALS)
    + r")(?:[-\s](?:"
    + "|".join(_CARDINALS + _ORDINALS)
    + r"|one|first))*)\b",
    re.I,
)
_FRACTION = re.compile(
    "|".join(
        [r"%", r"\bper\s*cent\w*", r"\bpercent\w*", r"\bhal(?:f|ves)\b", r"\bquarters?\b", r"\bdouble\b"]
        + [r"\btwice\b", r"\btriple\b", r"\bfraction\b", r"\bportion\b"]
    ),
    re.I,
)

# money_scan's currency words and slang (not "large": see above), and words of money in general.
_MONEY_WORDS = re.compile(
    r"\b(?:"
    + alternatives([*CURRENCY_WORDS, *SUBUNIT_WORDS, *SLANG_AMOUNTS, "grand"])
    + r"|dimes?|nickels?|money|cash|funds?|moola|dough)\b",
    re.I,
)

_DAY_NAMES = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_MONTH_NAMES = _MONTHS.replace(" ", "|")
# Words that promise, offer, condition or schedule something. Stems; no negation excuses them.
_COMMITMENTS: tuple[tuple[str, list[str]], ...] = (
    (
        "refund",
        [r"\bre-?fund", r"\bre-?imburs", r"\brepay", r"\bpay(?:s|ing|ment|ments|out)?\b", r"\bpaid\b"],
    ),
    (
        "credit",
        [r"\bcredit", r"\bdebit", r"\bvouchers?\b", r"\bcoupon", r"\bdiscount", r"\bpromo", r"\bcodes?\b"]
        + [r"\bgift\s*(?:card|voucher|certificate|code)", r"\bbonus", r"\brewards?\b", r"\bpoints\b"]
        + [r"\bbalance\b", r"\bcash\s*back"],
    ),
    (
        "compensation",
        [
            r"\bcompensat",
            r"\bcomp(?:ed|ing|s)?\b",
            r"\bdonat",
            r"\bcharit",
            r"\bgoodwill",
            r"\bgesture\b",
            r"\bon\s+(?:us|me|the\s+house)\b",
        ]
        + [r"\bmake\s+(?:it|this|that|things)\s+up\b", r"\bmake\s+up\s+for\b"],
    ),
    (
        "something free",
        [r"(?<!feel )\bfree\b", r"\bfree(?:bie|ly)", r"\bcomplimentary", r"\bat\s+our\s+expense"]
        + [r"\bno\s+(?:extra\s+|additional\s+)?(?:cost|charge)", r"\bcosts?\b", r"\bpric(?:e|es|ed)\b"]
        + [r"\bcharg", r"\bfees?\b", r"\bwaiv", r"\bforgiv", r"\bcover(?:s|ed|ing)?\b"],
    ),
    (
        "paying in full",
        [r"\bin\s+full\b", r"\bfull\s+(?:amount|price|value|cost|sum)", r"\bwhole\s+(?:amount|sum|price)"]
        + [r"\bevery\s+(?:single\s+)?(?:cent|penny|dime)", r"\bentire\s+(?:amount|sum|price|order\s+value)"],
    ),
    (
        "a replacement",
        [r"\breplac", r"\bre-?send", r"\bre-?ship", r"\bre-?deliver", r"\bexchang", r"\bswap", r"\btrade\b"]
        + [r"\b(?:new|another)\s+one\b", r"\bbrand[- ]new\b", r"\bfresh\s+(?:one|set|box|item|unit)"],
    ),
    (
        "shipping",
        [r"\bsend(?:s|ing)?\b", r"\bsent\b", r"\bship(?:s|ping|ment|ments)?\b", r"\bdispatch"]
        + [rf"\bshipped\b(?!\s+on\s+(?:{_MONTH_NAMES})\b)"]
        + [r"\bcourier", r"\bexpress\b", r"\bovernight\b", r"\bexpedit", r"\bpriority\b", r"\bupgrad"]
        + [r"\b(?:next|same)[- ]day\b", r"\brush(?:ed|ing)?\s+(?:it|them|this|that|the|your|a|an|out|over)\b"]
        + [r"\bon\s+(?:its|the|their)\s+way\b", r"\banother\b", r"\bin\s+the\s+(?:post|mail)\b"]
        + [r"\b(?:post|mail)(?:ed|ing)?\s+(?:it|them|you|out|back|another|a|an)\b"]
        + [r"\bdeliver(?:y|ies|ed|ing)?\s+(?:by|within|on|tomorrow|today|next|it|them|a|an|another|for)\b"]
        + [r"\b(?:will|'ll|going\s+to|shall|can|could|to)\s+(?:be\s+)?deliver"],
    ),
    (
        "a return or keeping the item",
        [r"\breturn", r"\bback\s+to\s+us\b", r"\bkept\b", r"\b(?:hang|hold)\s*on\s*to\b"]
        + [
            r"\bthrow\w*\s+(?:\w+\s+){0,3}?(?:away|out)\b",
            r"\bdispos",
            r"\bdiscard",
            r"\brecycl",
            r"\bbin\s+it\b",
        ]
        + [r"\b(?:get|have|receive|see|give|pay|bring|post|mail)\w*\s+(?:\w+\s+){0,4}?back\b(?!\s+to\s+you)"]
        + [r"\bkeep(?:s|ing)?\b(?!\s+(?:you\b|us\b|me\b|an\s+eye|in\s+touch|coming|things))"]
        + [r"\bno\s+need\s+to\b", r"\bdon'?t\s+(?:need|have)\s+to\b", r"\bnothing\s+(?:to|you\s+need)"],
    ),
    (
        "a commitment",
        [r"\bguarantee", r"\bpromis", r"\bentitle", r"\beligib", r"\bowe[ds]?\b", r"\boffer", r"\bprovid"]
        + [
            r"\bgrant",
            r"\bapprov",
            r"\bauthori[sz]",
            r"\barrang",
            r"\bprocess(?:ed|ing)?\b",
            r"\bcare\s+of\b",
        ]
        + [
            r"\b(?:will|'ll|to|can|shall|we|I)\s+issu",
            r"\badd(?:s|ed|ing)?\s+(?:a|an|some|the|it|them|this|that|credit|points|\w+\s+to\s+your)\b",
        ]
        + [r"\bcancel", r"\brevers", r"\bchargeback", r"\bdispute", r"\bcard\b", r"\bbank\b", r"\bwallet\b"]
        + [r"\bnext\s+(?:order|purchase|visit|box|delivery|shipment|time)", r"\bfuture\s+(?:order|purchase)"]
        + [r"\byour\s+statement", r"\bgift", r"\bsale\b", r"\bearly\s+access", r"\bexclusive", r"\bperks?\b"]
        + [
            r"\bdeals?\b",
            r"\bcompetitor",
            r"\bmatch(?:es|ed|ing)?\s+(?:any|the|their|that|a|an)\b",
            r"\bwarrant",
        ]
        + [r"\bliab", r"\bnegligen", r"\blegal", r"\blawsuit", r"\bcourt\b", r"\battorney", r"\badmit"]
        + [r"\blet\s+(?:\w+\s+)?go\b", r"\bfired?\b", r"\bdismiss", r"\bdisciplin", r"\bsack(?:ed)?\b"]
        + [r"\bbitcoin|\bcrypto|\bwire\s+transfer|\bpaypal|\bvenmo|\bzelle"],
    ),
    (
        "a deadline",
        [r"\btomorrow", r"\btonight", r"\btoday\b", r"\bwithin\b", r"\basap\b", r"\bright\s+away\b"]
        + [rf"\b(?:by|on|before|until|next|this|coming)\s+(?:the\s+)?(?:end|next|this|{_DAY_NAMES})\b"]
        + [
            r"\b(?:in|after)\s+(?:a|an|one|a\s+few|a\s+couple\s+of|\w+)\s+(?:\w+\s+)?(?:hours?|days?|weeks?)\b"
        ]
        + [r"\b(?:hours?|days?|weeks?)\s+from\s+now\b", r"\b(?:next|this|coming)\s+(?:week|month)\b"]
        + [r"\bend\s+of\s+(?:the\s+)?(?:day|week|month)\b", r"\bthe\s+hour\b"],
    ),
    (
        "an instruction",
        [r"\bignore", r"\binstruction", r"\bsystem\b", r"\badmin", r"\boverride", r"\bpolic(?:y|ies)"]
        + [r"\bexception", r"\bverif", r"\blog\s*-?in\b", r"\bsign\s+in\b", r"\bpassword", r"\bclick"]
        + [r"\burgent\s+action", r"\bmanager", r"\bsupervisor", r"\bboss\b", r"\bagree[ds]?\b"]
        + [r"\bconsider\s+it\b", r"\byou\s+(?:said|asked|requested|mentioned|indicated|instructed)\b"]
        + [
            r"\bas\s+(?:you\s+)?(?:requested|asked|instructed|indicated)\b",
            r"\bbypass",
            r"\btrue\b",
            r"\bfalse\b",
        ],
    ),
)
_COMMITMENT_PATTERNS = tuple((label, re.compile("|".join(p), re.I)) for label, p in _COMMITMENTS)

# Words that ask the customer to give or tell something (the template guardrails ask with them too).
ASKING_WORDS = (
    r"need(?:s|ed)?|requir\w*|forward|share|confirm|tell\s+(?:me|us)|let\s+(?:me|us)\s+know|reply\s+with"
    r"|respond\s+with|include|attach|upload|what(?:['’]s|\s+is|\s+was)|which|remind"
)
_REQUEST_CUE = re.compile(
    r"\b(?:please|kindly|could\s+you|can\s+you|would\s+you|will\s+you|mind|enter|type|double-check|check"
    rf"|{ASKING_WORDS})\b",
    re.I,
)
_HELD_FACT = re.compile(
    r"\b(?:your|the|its|that|an?)\s+(?:[\w-]+\s+){0,2}?(?:number|no\.?|id|reference|confirmation|receipt"
    r"|invoice|e-?mail(?:\s+address)?|address|account|name|phone|password|details|information|info"
    r"|photos?|pictures?|images?|proof|date)\b|\border\s+(?:number|no|id|reference|confirmation|details)\b",
    re.I,
)
# This reply itself: "reply to this e-mail" asks for nothing.
THIS_MESSAGE = re.compile(r"\b(?:this|my|our)\s+(?:e-?mail|message|note)\b", re.I)

_TLDS = r"(?:com|net|org|io|co|info|biz|example|de|uk|app|shop|store|xyz|ly|link|site|online|eu|fr)"
_URL = re.compile(
    r"(?:https?:/{0,2}|hxxps?|www\.)\S*"  # a scheme or www. starts a link
    r"|\b[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}\b(?:/\S*)?"  # host.tld, written tight
    rf"|\b[\w-]+(?:\s*\.\s*[\w-]+)*(?:\s+\.\s*|\s*\.\s+){_TLDS}\b",  # host . com, spaced out
    re.I,
)
_OBFUSCATED = re.compile(
    r"\b(?:dot|punkt|point)\s+(?:com|net|org|io|co|example|info|biz|de|uk)\b|\[\s*(?:dot|at)\s*\]"
    r"|\(\s*(?:dot|at)\s*\)|\{\s*(?:dot|at)\s*\}|\bat\s+[\w-]+\s+dot\b",
    re.I,
)
_SPELLED = re.compile(r"(?<![\w])(?:[^\W\d_][\s.*_-]){3,}[^\W\d_](?![\w])")
_INNER_SYMBOL = re.compile(r"[^\W\d_][*_^~|\\/+=<>][^\W\d_]")
_ORDER_REF = re.compile(r"#\s*(\w[\w-]*)|\b(?:no|n°|nr)\.?\s*(\d[\w-]*)", re.I)
_TITLE = re.compile(r"\b(?:mr|mrs|ms|mx|dr|miss|sir|madam)\.?\s+([^\W\d_][\w'-]*)", re.I)
# Words of other languages a reply in English has no use for (the offer paragraph is English, so
# the words around it are too); a merchant writing another language overrides the templates.
_FOREIGN_WORDS = frozenset(
    (
        "el los las una unos por para con sin que todo toda tu te su nuestra nuestro usted muy gracias pero "
        "del está estamos hemos hace falta lunes dinero cuenta como mensaje "
        "und der das nicht nichts sie ihr ihre ist wir uns mit für auf ein eine einen bitte danke vielen "
        "müssen ihnen ihren unser unsere bereits "
        "le les et vous nous est une avec sans merci votre notre "
        "il che grazie della nostro vostro "
        "você obrigado não sua seu nosso "
        "het een niet wij jullie bedankt"
    ).split()
)
_ENGLISH_WORD_NAMES = frozenset(
    "april august june autumn angel amber bill brandy chase cole crystal daisy dale dawn dean destiny "
    "diamond faith frank gene glen grace grant guy hazel holly hunter jade joy lance mark max melody "
    "misty parker penny raven ray rose sandy summer sue will may carol page".split()
)


@lru_cache(maxsize=1)
def _first_names() -> frozenset[str]:
    """Common given names (Faker's English lists): a name the reply has no business with."""
    from faker.providers.person.en_GB import Provider as GB
    from faker.providers.person.en_US import Provider as US

    names = {n.lower() for provider in (US, GB) for n in provider.first_names}
    return frozenset(names - _ENGLISH_WORD_NAMES)


_GREETING_WORD = re.compile(
    r"^\s*(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening)|greetings)\b", re.I
)


@dataclass(frozen=True, slots=True)
class WordsContext:
    """What the model's words may mention: this customer's facts as given to the model."""

    numbers: frozenset[str]  # digit strings of the facts: order number, tenure year, dates
    durations: frozenset[tuple[str, str]]  # ("five", "day"): how long the customer said something took
    number_words: frozenset[str]  # "ten", "tenth" when the facts say so
    names: frozenset[str]  # lower-case words allowed capitalised: the customer's, the brand's, the tier
    orders: frozenset[str]  # order names allowed, normalised ("1085")
    domains: tuple[str, ...]  # link hosts allowed (the merchant's)
    message: str  # the customer's message, to refuse echoes of it
    first_name: str | None


def _words(text: str | None) -> list[str]:
    return [w.lower() for w in _WORD.findall(text or "")]


def words_context(
    ticket: Ticket, profile: CustomerProfile, context: dict[str, object], brand: BrandSettings
) -> WordsContext:
    """The allowances of one reply, from the facts the model was given (`ReplyFacts.context`)."""
    orders = [o.name for o in (ticket.order, profile.last_order) if o is not None]
    numbers: set[str] = set()
    for text in [*orders, *(str(v) for v in _fact_values(context))]:
        numbers.update(_DIGITS.findall(text))
    history = context.get("history")
    number_words: set[str] = set()
    if isinstance(history, dict):
        number_words = {str(history[k]).lower() for k in ("orders_words", "order_ordinal") if history.get(k)}
    first = profile.first_name if profile.is_known and profile.first_name else None
    names = {*_words(first), *(_words(profile.last_name) if profile.is_known else [])}
    names.update(_words(brand.store_name), _words(brand.agent_name), _words(brand.sign_off))
    if isinstance(history, dict) and history.get("tier"):
        names.update(_words(str(history["tier"])))
    return WordsContext(
        numbers=frozenset(numbers),
        durations=durations(ticket.message),
        number_words=frozenset(number_words),
        names=frozenset(names),
        orders=frozenset(_norm_order(o) for o in orders),
        domains=brand.link_domains,
        message=ticket.message,
        first_name=first,
    )


_DURATION = re.compile(
    r"\b(\d+|[a-z]+)(?:[-\s]+(?:extra|more|whole|full|long|business|working))?[-\s]+(day|week|hour)s?\b", re.I
)


def durations(message: str) -> frozenset[tuple[str, str]]:
    """The durations the customer stated ("five days late", "3 weeks"): the model may say them back."""
    return frozenset((m.group(1).lower(), m.group(2).lower()) for m in _DURATION.finditer(normalise(message)))


def _is_stated_duration(text: str, start: int, ctx: WordsContext) -> bool:
    m = _DURATION.match(text, start)
    return m is not None and (m.group(1).lower(), m.group(2).lower()) in ctx.durations


def _fact_values(context: dict[str, object]) -> Iterable[object]:
    """The dates and years of the facts (not amounts: the offer's numbers are Rapport's to state)."""
    yield context.get("order_date") or ""
    history = context.get("history")
    if isinstance(history, dict):
        yield history.get("since_year") or ""
        yield history.get("next_billing") or ""


def _norm_order(name: str) -> str:
    return name.strip().lstrip("#").strip().upper()


def normalise(text: str) -> str:
    """NFKC, with typographic apostrophes and dashes made plain, as every rule reads it."""
    text = unicodedata.normalize("NFKC", text)
    return text.replace("’", "'").replace("‘", "'").replace("\u2010", "-").replace("\u2011", "-")


def check_model_words(opening: str, closing: str, ctx: WordsContext) -> list[Violation]:
    """Every rule the model's words break (empty when they may be shown to the customer)."""
    out: list[Violation] = []
    if not opening.strip():
        out.append(Violation("empty_opening", "the model wrote no opening"))
    if len(opening) > MAX_OPENING or len(closing) > MAX_CLOSING:
        out.append(
            Violation(
                "too_long", f"the opening or closing is longer than {MAX_OPENING}/{MAX_CLOSING} characters"
            )
        )
    raw = f"{opening}\n\n{closing}"
    text = normalise(raw)
    for rule in (
        _characters,
        _language,
        _numbers,
        _money,
        _commitments,
        _codes,
        _links,
        _emails,
        _orders,
        _names,
        _requests,
        _echo,
    ):
        out.extend(rule(text, raw, ctx))
    return out


def _first(code: str, message: str, found: Iterable[str]) -> list[Violation]:
    for item in found:
        return [Violation(code, message.format(item))]
    return []


def _characters(text: str, raw: str, ctx: WordsContext) -> list[Violation]:
    """Invisible characters, letters of other scripts (look-alikes), words spelled out or broken up."""
    allowed_letters = set("".join(ctx.names))
    odd = []
    for ch in raw:
        cat = unicodedata.category(ch)
        if ch in "\n\t":
            continue
        if cat in ("Cc", "Cf", "Co", "Cn", "Cs") or (cat.startswith("Z") and ch != " " and ch != "\u00a0"):
            odd.append(f"U+{ord(ch):04X}")
        elif (
            cat.startswith("L")
            and not unicodedata.name(ch, "").startswith("LATIN")
            and ch.lower() not in allowed_letters
        ):
            odd.append(ch)
    out = _first("odd_characters", "contains characters a reply has no use for ({})", odd)
    words = _URL.sub(" ", text)  # links are judged by _links, their slashes are no broken words
    broken = [m.group(0) for m in (*_SPELLED.finditer(words), *_INNER_SYMBOL.finditer(words))]
    out += _first("obfuscated_words", "spells a word out or breaks it up ({!r})", broken)
    return out


def _numbers(text: str, raw: str, ctx: WordsContext) -> list[Violation]:
    """No number but the facts' (order number, tenure year, dates) and the durations the customer
    stated ("five days late"), in digits or in words; no percentage or fraction."""
    numeric = [ch for ch in raw if unicodedata.category(ch).startswith("N") and not ch.isascii()]
    out = _first("number", "writes a number ({!r})", numeric)
    digits = [
        m.group(0)
        for m in _DIGITS.finditer(text)
        if m.group(0) not in ctx.numbers and not _is_stated_duration(text, m.start(), ctx)
    ]
    out += _first("number", "writes a number that is not one of the customer's facts ({!r})", digits)
    words = [
        m.group(0)
        for m in _NUMBER_WORD.finditer(text)
        if m.group(0).lower() not in ctx.number_words and not _is_stated_duration(text, m.start(), ctx)
    ]
    out += _first("number", "writes a number in words ({!r})", words)
    fractions = [m.group(0) for m in _FRACTION.finditer(text)]
    out += _first("percent", "writes a percentage or fraction ({!r})", fractions)
    return out


@lru_cache(maxsize=1)
def _iso_codes() -> frozenset[str]:
    return frozenset(list_currencies())


def _money(text: str, raw: str, ctx: WordsContext) -> list[Violation]:
    """No money in any form: currency symbols, ISO codes, currency words and slang."""
    symbols = [ch for ch in text if unicodedata.category(ch) == "Sc"]
    out = _first("money", "writes a currency symbol ({!r})", symbols)
    codes = [w for w in re.findall(r"\b[A-Z]{3}\b", text) if w in _iso_codes()]
    out += _first("money", "writes a currency code ({!r})", codes)
    out += _first("money", "writes money words ({!r})", [m.group(0) for m in _MONEY_WORDS.finditer(text)])
    return out


def _commitments(text: str, raw: str, ctx: WordsContext) -> list[Violation]:
    """No word of an offer, a condition, a deadline or an instruction: the offer is Rapport's to state."""
    dehyphenated = re.sub(r"(?<=[^\W\d_])-(?=[^\W\d_])", "", text)
    out = []
    for label, pattern in _COMMITMENT_PATTERNS:
        found = [m.group(0) for source in (text, dehyphenated) for m in pattern.finditer(source)]
        out += _first("commitment", f"uses words of {label} ({{!r}}); only Rapport states the offer", found)
    return out


def _codes(text: str, raw: str, ctx: WordsContext) -> list[Violation]:
    """No code-like or shouted words: all capitals (but "I", "VIP", the brand's), letters with digits."""
    allowed = {w.upper() for w in ctx.names} | _ACRONYMS_OK
    shouted = [w for w in re.findall(r"\b[A-Z]{2,}\b", text) if w not in allowed]
    mixed = re.findall(r"\b(?=\w*\d)(?=\w*[^\W\d_])\w+\b", text)
    return _first("code", "writes something that looks like a code ({!r})", [*shouted, *mixed])


def _host_allowed(host: str, domains: tuple[str, ...]) -> bool:
    host = host.lower().strip(".")
    return any(host == d or host.endswith("." + d) for d in domains)


def _links(text: str, raw: str, ctx: WordsContext) -> list[Violation]:
    """No link but to the merchant's own domains; no spelled-out addresses ("example dot com")."""
    bad = []
    for m in _URL.finditer(text):
        candidate = re.sub(r"\s+", "", m.group(0))
        host = re.sub(r"^(?:https?:/{0,2}|hxxps?:?/{0,2})", "", candidate, flags=re.I).split("/")[0]
        host = host.split("@")[-1].rstrip(".,;:!?)")
        if re.fullmatch(r"(?:[a-z]\.){1,3}[a-z]?", host, re.I):  # "e.g.", "i.e."
            continue
        if not host or not _host_allowed(host, ctx.domains) or "@" in candidate:
            bad.append(m.group(0))
    bad += [m.group(0) for m in _OBFUSCATED.finditer(text)]
    return _first("link", "contains a link or address that is not the merchant's ({!r})", bad)


def _emails(text: str, raw: str, ctx: WordsContext) -> list[Violation]:
    """No e-mail address at all (the customer's is known; any other is a leak or a trap)."""
    return _first(
        "email", "contains an e-mail address ({!r})", re.findall(r"\S*(?:@|＠|\(at\)|\[at\])\S*", text)
    )


def _orders(text: str, raw: str, ctx: WordsContext) -> list[Violation]:
    """No order reference but this customer's ticket or last order."""
    refs = [(m.group(1) or m.group(2)) for m in _ORDER_REF.finditer(text)]
    return _first(
        "foreign_order",
        "names an order ({!r}) that is not this customer's",
        [r for r in refs if _norm_order(r) not in ctx.orders],
    )


def _sentence_initial(text: str, start: int) -> bool:
    return bool(_SENTENCE_START.search(text[max(0, start - 3) : start])) or start == 0


def _names(text: str, raw: str, ctx: WordsContext) -> list[Violation]:
    """No name but this customer's and the brand's: a capitalised word mid-sentence must be one of
    them (or a month, a day, "I"); a greeting must name the customer; two capitalised words in a row
    (a full name) must both be allowed even at the start of a sentence."""
    bad = []
    tokens = list(_WORD.finditer(text))
    for i, m in enumerate(tokens):
        word = m.group(0)
        base = word.split("'")[0].lower()
        if not word[0].isupper() or base in ctx.names or base in _PROPER_OK:
            continue
        previous = tokens[i - 1] if i else None
        after_greeting = previous is not None and _GREETING_WORD.match(previous.group(0)) is not None
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        full_name = (
            following is not None
            and following.group(0)[0].isupper()
            and text[m.end() : following.start()] == " "
            and following.group(0).split("'")[0].lower() not in ctx.names | _PROPER_OK
        )
        if not _sentence_initial(text, m.start()) or after_greeting or full_name:
            bad.append(word)
        elif i == 0 and text[m.end() : m.end() + 1] == "," and not _GREETING_WORD.match(word):
            bad.append(word)  # "Oscar, ..." as the first word addresses someone
    bad += [m.group(1) for m in _TITLE.finditer(text) if m.group(1).lower() not in ctx.names]
    bad += [
        m.group(0)
        for m in tokens
        if m.group(0)[0].isupper()
        and m.group(0).lower() in _first_names()
        and m.group(0).lower() not in ctx.names
    ]
    return _first("foreign_name", "names someone who is not this customer ({!r})", bad)


def _language(text: str, raw: str, ctx: WordsContext) -> list[Violation]:
    """English only: no word of another language, no accented letter but in the customer's names."""
    allowed = set("".join(ctx.names))
    foreign = [w for w in _WORD.findall(text) if w.lower() in _FOREIGN_WORDS]
    foreign += [ch for ch in text if ch.isalpha() and not ch.isascii() and ch.lower() not in allowed]
    return _first("language", "is not in English ({!r})", foreign)


_QUESTION = re.compile(r"[^.!?\n]*\?")
_QUESTION_ABOUT = re.compile(
    r"\b(?:order|purchase|bought|address|e-?mail|account|phone|number|confirmation|receipt|name|card"
    r"|details|when|where|which)\b",
    re.I,
)


def _requests(text: str, raw: str, ctx: WordsContext) -> list[Violation]:
    """No request for a fact the store holds (order number, confirmation, e-mail, address, account...)."""
    bad = []
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        cleaned = THIS_MESSAGE.sub(" ", sentence)
        if _REQUEST_CUE.search(cleaned) and (held := _HELD_FACT.search(cleaned)):
            bad.append(held.group(0))
    bad += [q.group(0).strip() for q in _QUESTION.finditer(text) if _QUESTION_ABOUT.search(q.group(0))]
    return _first("asks_known", "asks for something the store already holds ({!r})", bad)


def _echo(text: str, raw: str, ctx: WordsContext) -> list[Violation]:
    """No run of eight words copied from the customer's message (an instruction echoed is still one)."""
    n = ECHO_WORDS
    said = _words(normalise(ctx.message))
    if len(said) < n:
        return []
    grams = {tuple(said[i : i + n]) for i in range(len(said) - n + 1)}
    written = _words(text)
    runs = (tuple(written[i : i + n]) for i in range(len(written) - n + 1))
    copied = [" ".join(run) for run in runs if run in grams]
    return _first("echo", "repeats the customer's message ({!r})", copied)
