"""Granting: authority checked at the moment a person gives something, recorded in an append-only ledger.

`grant` runs inside the caller's write unit of work (the reply use case), before it commits: the grant
and the reply that announces it are kept together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from rapport.domain.decision import OfferKind
from rapport.domain.desk import Actor
from rapport.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from rapport.engine.authority import (
    AuthorityCheck,
    GrantAsk,
    GrantEntry,
    GrantRecord,
    Refusal,
    check_grant,
)
from rapport.engine.currency import OrderMoney, order_money
from rapport.services.desk.grant_ports import GrantReading, GrantUnitOfWork
from rapport.services.tenancy import Tenant

__all__ = ["GrantRecord", "GrantRequest", "GrantSubject", "grant", "grants_for"]
KEY_LENGTH = 200  # the ledger's idempotency_key column


@dataclass(frozen=True, slots=True)
class GrantRequest:
    """What the person grants: amounts in `currency` (default: the order's currency, else the policy's)."""

    offer: OfferKind
    amount: Decimal | None = None
    percent: Decimal | None = None
    currency: str | None = None
    reason: str | None = None  # required for an admin grant above the senior bound


@dataclass(frozen=True, slots=True)
class GrantSubject:
    """The ticket the grant is for, as the desk knows it."""

    ticket_id: int
    email: str
    customer_id: int | None
    segment: str
    order_id: int | None  # the order's row id
    order_total: Decimal | None
    order_currency: str | None


def grant(
    uow: GrantUnitOfWork,
    *,
    tenant: Tenant,
    actor: Actor,
    subject: GrantSubject,
    request: GrantRequest,
    idempotency_key: str | None,
    now: datetime,
) -> GrantRecord:
    """Check `request` against `actor`'s authority now and append it to the ledger (not committed).

    Raises Forbidden (not a person, above the authority, no rate for the currency), InvalidInput (no
    sensible grant: NaN, negative, an amount on a reship...) or Conflict (the key was used for another
    grant). A retry with the same key returns the first grant, `replayed=True`, and grants nothing."""
    if not actor.is_person:
        raise Forbidden("only a person grants: a machine key cannot")
    if actor.merchant_id != tenant.merchant.id:
        raise NotFound("no such ticket")
    if idempotency_key is not None and not 0 < len(idempotency_key) <= KEY_LENGTH:
        raise InvalidInput(f"an idempotency key has 1 to {KEY_LENGTH} characters")
    for value in (request.amount, request.percent):
        if value is not None and not value.is_finite():
            raise InvalidInput(f"{value} is not a number a grant can hold")
    merchant_id = tenant.merchant.id
    ask = GrantAsk(
        offer=request.offer,
        currency=request.currency or subject.order_currency or tenant.policy.currency,
        amount=request.amount,
        percent=request.percent,
        reason=request.reason,
    )
    uow.grants.lock_customer(merchant_id=merchant_id, email=subject.email)
    if idempotency_key is not None:
        earlier = uow.grants.find_by_key(merchant_id=merchant_id, idempotency_key=idempotency_key)
        if earlier is not None:
            return _replayed(earlier, actor=actor, subject=subject, ask=ask)
    granted = uow.grants.granted_90d(
        merchant_id=merchant_id, customer_id=subject.customer_id, email=subject.email, now=now
    )
    check = check_grant(
        policy=tenant.policy,
        segment=subject.segment,
        role=actor.role,
        granted=granted,
        order=_order(tenant, subject),
        ask=ask,
    )
    if not check.allowed:
        raise _refusal(check)
    entry = GrantEntry(
        email=subject.email,
        customer_id=subject.customer_id,
        ticket_id=subject.ticket_id,
        order_id=subject.order_id,
        offer=ask.offer,
        amount=ask.amount,
        percent=ask.percent,
        currency=ask.currency,
        amount_in_policy_currency=check.amount_in_policy_currency,
        granted_by_user_id=actor.user_id,
        granted_by_label=actor.label,
        role=actor.role,
        reason=(request.reason or "").strip() or None,
        idempotency_key=idempotency_key,
        created_at=now,
    )
    return uow.grants.add(merchant_id=merchant_id, entry=entry)


def grants_for(uow_factory: Callable[[], GrantReading], merchant_id: int, email: str) -> list[GrantRecord]:
    """Every grant the desk gave this e-mail at this merchant, oldest first (the customer card, a ticket)."""
    with uow_factory() as uow:
        return uow.grants.for_email(merchant_id=merchant_id, email=email)


def _order(tenant: Tenant, subject: GrantSubject) -> OrderMoney | None:
    if subject.order_total is None or subject.order_currency is None:
        return None
    return order_money(tenant.policy, subject.order_total, subject.order_currency)


def _replayed(earlier: GrantRecord, *, actor: Actor, subject: GrantSubject, ask: GrantAsk) -> GrantRecord:
    same = (
        earlier.ticket_id == subject.ticket_id
        and earlier.granted_by_user_id == actor.user_id
        and earlier.offer is ask.offer
        and earlier.amount == ask.amount
        and earlier.percent == ask.percent
        and earlier.currency == ask.currency
    )
    if not same:
        raise Conflict("this idempotency key was used for another grant")
    return replace(earlier, replayed=True)


def _refusal(check: AuthorityCheck) -> Exception:
    if check.refusal is Refusal.INVALID:
        return InvalidInput(check.reason)
    return Forbidden(check.reason)
