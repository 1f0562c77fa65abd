"""The facts a reply may state, computed once from the domain values and shared by both drafters.

Everything is pre-formatted for the customer's locale, so a template or a model only has to
place it; `facts_used` records what a draft was given, for audit and for the agent's screen.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rapport.domain import CustomerProfile, Decision, Intent, OfferKind, Ticket
from rapport.drafting.draft import BrandSettings
from rapport.drafting.locale_format import (
    cardinal_words,
    date_text,
    money_text,
    ordinal_words,
    percent_text,
    resolve_locale,
)

# Intents whose reply cannot help without knowing the order: only these may ask for its number.
ORDER_INTENTS = frozenset(
    {
        Intent.DAMAGED_ITEM,
        Intent.WRONG_ITEM,
        Intent.MISSING_ITEM,
        Intent.WHERE_IS_MY_ORDER,
        Intent.LATE_DELIVERY,
        Intent.RETURN_REQUEST,
        Intent.REFUND_REQUEST,
        Intent.CANCEL_ORDER,
        Intent.CHANGE_ORDER,
    }
)

CENT = Decimal("0.01")  # amounts in the facts read as "12.50": exact, like the decision JSON


@dataclass(frozen=True, slots=True)
class ReplyFacts:
    """What a reply knows: the template context (`context`) and the audit record (`used`)."""

    context: dict[str, Any]
    used: dict[str, Any]
    seed: str


def ticket_seed(ticket: Ticket) -> str:
    """A stable fingerprint of the ticket: the same ticket always gets the same phrasing."""
    raw = f"{ticket.id or ''}|{ticket.email.lower()}|{ticket.message}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def chooser(seed: str) -> Callable[[str, Sequence[str]], str]:
    """`choose(slot, options)`: one option per slot, deterministic per ticket, varied across tickets."""

    def choose(slot: str, options: Sequence[str]) -> str:
        if not options:
            return ""
        digest = hashlib.sha256(f"{seed}:{slot}".encode()).digest()
        return options[int.from_bytes(digest[:8], "big") % len(options)]

    return choose


def reply_facts(
    ticket: Ticket, profile: CustomerProfile, decision: Decision, brand: BrandSettings
) -> ReplyFacts:
    """Compute the facts of one reply: customer, order, history, resolution and brand."""
    locale = resolve_locale(profile.locale, brand.locale)
    used: dict[str, Any] = {"locale": locale, "intent": decision.intent.value, "style": decision.tone.style}
    context: dict[str, Any] = {
        "intent": decision.intent.value,
        "style": decision.tone.style,
        "store_name": brand.store_name,
        "agent_name": brand.agent_name,
        "sign_off": brand.sign_off,
        "first_name": profile.first_name if profile.is_known and profile.first_name else None,
        **_order_facts(ticket, profile, locale, used),
        **_contact_facts(profile, used),
        "history": _history_facts(ticket, profile, decision, locale, used),
        "resolution": _resolution_facts(decision, locale, used),
    }
    if context["first_name"]:
        used["first_name"] = context["first_name"]
    return ReplyFacts(context=context, used=used, seed=ticket_seed(ticket))


def _order_facts(
    ticket: Ticket, profile: CustomerProfile, locale: str, used: dict[str, Any]
) -> dict[str, Any]:
    order = ticket.order
    known = order is not None or profile.last_order is not None
    may_ask = not known and ticket.intent in ORDER_INTENTS
    if order is None:
        return {"order_name": None, "order_date": None, "ask_order_number": may_ask}
    used["order_name"] = order.name
    used["order_date"] = order.created_at.date().isoformat()
    return {
        "order_name": order.name,
        "order_date": date_text(order.created_at, locale),
        "ask_order_number": False,
    }


def _contact_facts(profile: CustomerProfile, used: dict[str, Any]) -> dict[str, Any]:
    if profile.contacts_last_90d > 0:
        used["contacts_last_90d"] = profile.contacts_last_90d
    return {"wrote_before": profile.contacts_last_90d > 0}


def _history_facts(
    ticket: Ticket, profile: CustomerProfile, decision: Decision, locale: str, used: dict[str, Any]
) -> dict[str, Any] | None:
    """Loyalty facts, only when the tone asks to acknowledge history and there is some."""
    if not (decision.tone.acknowledge_history and profile.is_known):
        return None
    facts: dict[str, Any] = {"orders_words": None, "order_ordinal": None, "since_year": None}
    if profile.orders_count >= 2:
        facts["orders_words"] = cardinal_words(profile.orders_count)
        latest = profile.last_order
        if ticket.order is not None and latest is not None and ticket.order.id == latest.id:
            # Only the latest order is the n-th one; for older ones we say "n orders" instead.
            facts["order_ordinal"] = ordinal_words(profile.orders_count)
        used["orders_count"] = profile.orders_count
    since = profile.customer_since or profile.first_order_at
    if since is not None and since.year < ticket.received_at.year:
        facts["since_year"] = str(since.year)
        used["customer_since_year"] = since.year
    facts["tier"] = profile.loyalty_tier.strip().title() if profile.loyalty_tier else None
    if facts["tier"]:
        used["loyalty_tier"] = profile.loyalty_tier
    facts["subscriber"] = profile.has_active_subscription
    facts["next_billing"] = None
    if profile.has_active_subscription:
        used["has_active_subscription"] = True
        if profile.subscription_next_billing_at is not None:
            facts["next_billing"] = date_text(profile.subscription_next_billing_at, locale)
    if not any(facts[k] for k in ("orders_words", "since_year", "tier", "subscriber")):
        return None
    return facts


def _resolution_facts(decision: Decision, locale: str, used: dict[str, Any]) -> dict[str, Any]:
    r = decision.resolution
    amount = None if r.amount is None else money_text(r.amount, r.currency, locale)
    percent = None if r.percent is None else percent_text(r.percent, locale)
    used.update(
        offer=r.offer.value,
        amount=None if r.amount is None else f"{r.amount.quantize(CENT)}",
        amount_text=amount,
        currency=r.currency,
        percent=None if r.percent is None else str(r.percent),
        shipping=r.shipping,
        requires_return=r.requires_return,
        reason=r.reason,
    )
    return {
        "offer": r.offer.value,
        "amount": amount,
        "percent": percent,
        "shipping": r.shipping,
        "requires_return": r.requires_return,
        "reason": r.reason.strip().rstrip(".") if r.reason else None,
        "escalation_level": decision.escalation_level.value,
        "is_escalation": r.offer is OfferKind.ESCALATE,
    }
