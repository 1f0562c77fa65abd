"""Pure values of Rapport's domain: customers, tickets, decisions. No I/O, no frameworks."""

from rapport.domain.customer import ZERO, CustomerProfile, LineItem, OrderSummary
from rapport.domain.decision import (
    MONEY_OFFERS,
    Decision,
    EscalationLevel,
    FollowUp,
    OfferKind,
    ResolutionOffer,
    Tone,
)
from rapport.domain.errors import RapportError
from rapport.domain.ticket import Entity, Intent, IntentReading, Signal, Ticket, Urgency

__all__ = [
    "MONEY_OFFERS",
    "ZERO",
    "CustomerProfile",
    "Decision",
    "Entity",
    "EscalationLevel",
    "FollowUp",
    "Intent",
    "IntentReading",
    "LineItem",
    "OfferKind",
    "OrderSummary",
    "RapportError",
    "ResolutionOffer",
    "Signal",
    "Ticket",
    "Tone",
    "Urgency",
]
