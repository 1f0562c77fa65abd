"""Triage one inbound message: know the customer, read the message, decide, record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rapport.domain import CustomerProfile, Decision, Intent, IntentReading, Ticket
from rapport.domain.errors import UnknownIntent, UnknownOrder
from rapport.domain.serialize import decision_to_dict, order_to_dict
from rapport.engine import decide
from rapport.policy import Policy
from rapport.store.unit_of_work import UnitOfWork
from rapport.understanding import IntentClassifier, read_message, resolve_order


@dataclass(frozen=True, slots=True)
class TriageResult:
    """Everything a reply or a screen needs about one triaged ticket."""

    ticket: Ticket
    profile: CustomerProfile
    decision: Decision
    policy: Policy


def parse_intent(value: str) -> Intent:
    """An intent name from the outside world, or a clear error listing the valid ones."""
    try:
        return Intent(value.strip().lower())
    except ValueError:
        valid = ", ".join(i.value for i in Intent)
        raise UnknownIntent(f"unknown intent {value!r}; valid intents: {valid}") from None


def triage(
    uow_factory: Callable[[], UnitOfWork],
    *,
    merchant: str,
    email: str,
    message: str,
    now: datetime,
    policy: Policy,
    order_name: str | None = None,
    intent: Intent | None = None,
    classifier: IntentClassifier | None = None,
    record: bool = True,
) -> TriageResult:
    """Decide how this customer's ticket is handled, and record the ticket and decision.

    The order the ticket is about is the one named (`order_name`), else one referenced in the
    message, else the customer's single open or most recent order that fits the intent.
    """
    with uow_factory() as uow:
        merchant_id = uow.merchants.get_or_create(slug=merchant, currency=policy.currency)
        profile = uow.profiles.get_profile(merchant_id=merchant_id, email=email, now=now)
        reading = read_message(
            message,
            classifier=classifier,
            known_orders=profile.recent_orders,
            contacts_last_90d=profile.contacts_last_90d,
        )
        intent_reading = (
            IntentReading(intent=intent, confidence=1.0, source="given") if intent else reading.reading
        )
        named_order = None
        if order_name:
            named_order = uow.orders.find_summary(merchant_id=merchant_id, name_or_id=order_name)
            if named_order is None:
                raise UnknownOrder(f"no order {order_name!r} in this store")
            if profile.is_known and not uow.orders.belongs_to(
                merchant_id=merchant_id, external_id=named_order.id, email=email
            ):
                raise UnknownOrder(f"order {order_name!r} does not belong to {email}")
        order = named_order or resolve_order(reading.entities, profile.recent_orders, intent_reading.intent)
        ticket = Ticket(
            email=email,
            message=message,
            received_at=now,
            reading=intent_reading,
            order=order,
            entities=reading.entities,
            signals=reading.signals,
        )
        decision = decide(ticket, profile, policy, now)
        if record:
            uow.tickets.record(merchant_id=merchant_id, ticket=ticket, decision=decision, profile=profile)
            uow.commit()
    return TriageResult(ticket=ticket, profile=profile, decision=decision, policy=policy)


def triage_to_dict(result: TriageResult) -> dict[str, Any]:
    """The triage JSON (`rapport triage --json`, the API): the decision, the customer, what was read."""
    ticket = result.ticket
    return {
        "customer": {
            "id": result.profile.customer_id,
            "email": result.profile.email,
            "known": result.profile.is_known,
        },
        **decision_to_dict(result.decision),
        "order": None if ticket.order is None else order_to_dict(ticket.order),
        "entities": [{"kind": e.kind, "value": e.value} for e in ticket.entities],
        "signals": [{"kind": s.kind, "evidence": s.evidence} for s in ticket.signals],
    }
