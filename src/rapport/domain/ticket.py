"""An inbound support message and what was read from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from rapport.domain.customer import OrderSummary


class Intent(StrEnum):
    """What the customer wants; the fixed vocabulary policies and templates are keyed by."""

    DAMAGED_ITEM = "damaged_item"
    WRONG_ITEM = "wrong_item"
    MISSING_ITEM = "missing_item"
    WHERE_IS_MY_ORDER = "where_is_my_order"
    LATE_DELIVERY = "late_delivery"
    RETURN_REQUEST = "return_request"
    REFUND_REQUEST = "refund_request"
    CANCEL_ORDER = "cancel_order"
    CHANGE_ORDER = "change_order"
    SUBSCRIPTION_CHANGE = "subscription_change"
    BILLING_ISSUE = "billing_issue"
    DISCOUNT_ISSUE = "discount_issue"
    PRODUCT_QUESTION = "product_question"
    ACCOUNT_ISSUE = "account_issue"  # the customer's own account: password, username, e-mail, 2FA, profile
    WEBSITE_ISSUE = "website_issue"  # the shop's site or app not working: pages, search, checkout, login page
    FEEDBACK = "feedback"
    HUMAN_REQUEST = "human_request"
    OTHER = "other"


# The languages Rapport tells apart in a message (ISO 639-1), the values of `Ticket.language`. The
# detector chooses among these only: fewer candidates, fewer English messages read as another language.
READABLE_LANGUAGES: tuple[str, ...] = (
    "en", "fr", "es", "de", "it", "pt", "nl", "sv", "da", "no", "pl", "cs",
    "tr", "ru", "uk", "ja", "zh", "ko", "ar", "he", "el", "hi", "th", "vi",
)  # fmt: skip


class Urgency(StrEnum):
    """How pressing a ticket reads; raises priority inside the tier's queue."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class Signal:
    """An urgency or risk signal found in a message, with the words that showed it.

    `kind` is one of: anger, repeat_contact, chargeback_threat, legal_threat,
    cancel_account, safety_issue, all_caps, deadline.
    """

    kind: str
    evidence: str


@dataclass(frozen=True, slots=True)
class Entity:
    """Something the customer told us: an order reference, e-mail, tracking number, amount, item, size,
    and the language they wrote in (`kind="language"`, an ISO 639-1 code, no position)."""

    kind: str  # order_ref, email, tracking_number, money, item, size, language
    value: str
    start: int = -1
    end: int = -1
    role: str = ""  # money: "fee" when the words around it say it is a fee or a charge


@dataclass(frozen=True, slots=True)
class IntentReading:
    """The intent of a message, how sure we are, and where it came from."""

    intent: Intent
    confidence: float
    source: str  # "given" (agent/CLI), "keywords", "model" (TF-IDF), "encoder", "combined"
    needs_human: bool = False
    # the most likely intents with their probabilities, best first (the reader's shortlist for a human)
    candidates: tuple[tuple[Intent, float], ...] = ()
    secondary: Intent | None = None  # a second, different problem in the same message, when one is clear


@dataclass(frozen=True, slots=True)
class Ticket:
    """One inbound message, already read: intent, entities, signals, and the order it is about."""

    email: str
    message: str
    received_at: datetime
    reading: IntentReading
    order: OrderSummary | None = None  # the order the ticket is about, when resolved
    entities: tuple[Entity, ...] = ()
    signals: tuple[Signal, ...] = ()
    channel: str = "email"
    id: str | None = None
    # Facts from the message. Left out, they are read from `entities` (see __post_init__).
    amount_mentioned: Decimal | None = None  # in `amount_currency`
    amount_currency: str = ""
    item_mentioned: str = ""
    size_mentioned: str = ""
    language: str = ""

    def __post_init__(self) -> None:
        """Fill the message facts not given from the entities.

        The amount is the first money entity said to be a fee (`role == "fee"`), else the first one; the
        item, the size and the language are the first ones read. (`dataclasses.replace` with new entities
        keeps the facts already filled: give them again, or build a new Ticket.)"""
        if self.amount_mentioned is None:
            money = [e for e in self.entities if e.kind == "money"]
            chosen = next((e for e in money if e.role == "fee"), money[0] if money else None)
            if chosen is not None:
                amount, currency = _money(chosen.value)
                object.__setattr__(self, "amount_mentioned", amount)
                object.__setattr__(self, "amount_currency", currency)
        for name, kind in (("item_mentioned", "item"), ("size_mentioned", "size"), ("language", "language")):
            if not getattr(self, name):
                value = next((e.value for e in self.entities if e.kind == kind), "")
                object.__setattr__(self, name, value)

    @property
    def intent(self) -> Intent:
        return self.reading.intent

    @property
    def urgency(self) -> Urgency:
        """Urgency derived from the signals found in the message."""
        kinds = {s.kind for s in self.signals}
        if kinds & {"chargeback_threat", "legal_threat", "safety_issue"}:
            return Urgency.CRITICAL
        if kinds & {"anger", "repeat_contact", "cancel_account", "deadline"}:
            return Urgency.HIGH
        return Urgency.NORMAL


def _money(value: str) -> tuple[Decimal | None, str]:
    """A money entity's value ("15.00 USD") as an amount and a currency; (None, "") when unreadable."""
    amount, _, currency = value.partition(" ")
    try:
        number = Decimal(amount)
    except InvalidOperation:
        return None, ""
    return (number, currency) if number.is_finite() and number > 0 else (None, "")
