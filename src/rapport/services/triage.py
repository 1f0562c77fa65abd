"""Triage one inbound message: know the customer, read the message, decide, and (unless previewing) record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rapport.domain import CustomerProfile, Decision, Intent, IntentReading, OrderSummary, Ticket
from rapport.domain.errors import UnknownIntent, UnknownOrder
from rapport.engine import decide
from rapport.engine.lean_rules import lean_policy_of
from rapport.policy import Policy
from rapport.services.merchants import MerchantContext
from rapport.services.ports import UnitOfWork, UnitOfWorkFactory
from rapport.understanding import IntentClassifier, read_message, resolve_order


@dataclass(frozen=True, slots=True)
class TriageRequest:
    """One inbound message; `order_name` and `intent` are optional hints from the help desk or the agent."""

    email: str
    message: str
    now: datetime
    order_name: str | None = None
    intent: str | None = None
    channel: str = "email"


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
    uow_factory: UnitOfWorkFactory,
    *,
    merchant: MerchantContext,
    policy: Policy,
    classifier: IntentClassifier,
    request: TriageRequest,
    record: bool = False,
) -> TriageResult:
    """Decide how this customer's ticket is handled; with `record`, store the ticket and decision.

    Without `record` this is a preview: nothing is stored, and the ticket does not count as a contact
    (trying the same message twice must not make the customer a repeat contact).

    The order the ticket is about is the one named (`order_name`), else one referenced in the
    message, else the customer's single open or most recent order that fits the intent.
    """
    result = assess(
        uow_factory, merchant_id=merchant.id, policy=policy, classifier=classifier, request=request
    )
    if record:
        # A short transaction that starts as a write: reads above never hold the write lock.
        with uow_factory(write=True) as uow:
            uow.tickets.record(
                merchant_id=merchant.id,
                ticket=result.ticket,
                decision=result.decision,
                profile=result.profile,
            )
            uow.commit()
    return result


def assess(
    uow_factory: UnitOfWorkFactory,
    *,
    merchant_id: int,
    policy: Policy,
    classifier: IntentClassifier,
    request: TriageRequest,
) -> TriageResult:
    """Know the customer, read the message and decide, recording nothing (`triage` and the desk's
    intake record it, each in its own way). The store is read in one short read transaction."""
    given = parse_intent(request.intent) if request.intent else None  # a bad hint fails before any read
    with uow_factory() as uow:
        known = know_customer(uow, merchant_id=merchant_id, request=request)
        uow.commit()  # a read, ended by COMMIT to keep the prepared statements (ports.UnitOfWork)
    return read_and_decide(known, policy=policy, classifier=classifier, request=request, given=given)


@dataclass(frozen=True, slots=True)
class KnownCustomer:
    """What the store says before the message is read: the profile, and the order the ticket names."""

    profile: CustomerProfile
    named_order: OrderSummary | None


def know_customer(uow: UnitOfWork, *, merchant_id: int, request: TriageRequest) -> KnownCustomer:
    """The customer's profile and the named order, read in the caller's transaction."""
    profile = uow.profiles.get_profile(merchant_id=merchant_id, email=request.email, now=request.now)
    named = _named_order(uow, merchant_id, profile, request.order_name) if request.order_name else None
    return KnownCustomer(profile=profile, named_order=named)


def read_and_decide(
    known: KnownCustomer,
    *,
    policy: Policy,
    classifier: IntentClassifier,
    request: TriageRequest,
    given: Intent | None = None,
) -> TriageResult:
    """Read the message (outside any transaction: the model takes longer than the store) and decide."""
    if given is None and request.intent:
        given = parse_intent(request.intent)
    profile = known.profile
    recent = profile.recent_orders
    reading = read_message(
        request.message,
        classifier=classifier,
        intent=IntentReading(intent=given, confidence=1.0, source="given") if given else None,
        known_orders=recent,
        contacts_last_90d=profile.contacts_last_90d,
    )
    ticket = Ticket(
        email=request.email,
        message=request.message,
        received_at=request.now,
        reading=reading.reading,
        order=known.named_order
        or resolve_order(reading.entities, profile.recent_orders, reading.reading.intent),
        entities=reading.entities,
        signals=reading.signals,
        channel=request.channel,
    )
    # The same decision as `policy` gives, its rules fed only the facts they read (several times faster).
    decision = decide(ticket, profile, lean_policy_of(policy), request.now)
    return TriageResult(ticket=ticket, profile=profile, decision=decision, policy=policy)


def _named_order(
    uow: UnitOfWork, merchant_id: int, profile: CustomerProfile, order_name: str
) -> OrderSummary:
    """The order the ticket names; it must exist and be the writer's own.

    A guest (an e-mail the store does not know) can name no order: nothing proves it is theirs, and the
    ticket would show a stranger someone else's order and items.
    """
    order = uow.orders.find_summary(merchant_id=merchant_id, name_or_id=order_name)
    if order is None:
        raise UnknownOrder(f"no order {order_name!r} in this store")
    if not profile.is_known or not uow.orders.belongs_to(
        merchant_id=merchant_id, external_id=order.id, email=profile.email
    ):
        raise UnknownOrder(f"order {order_name!r} does not belong to {profile.email}")
    return order
