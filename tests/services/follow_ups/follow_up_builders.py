"""Builders for follow-up tests: a resolved ticket at the desk, a recording sender, a fixed wording.
Imported as `follow_up_builders`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from desk_builders import NOW, Desk

from rapport.domain.follow_ups import ClaimedFollowUp, FollowUpEntry
from rapport.services.desk.lifecycle import TicketView, claim, reopen, resolve
from rapport.services.follow_ups.ports import DeliveryFailed, OutboundMessage
from rapport.store.unit_of_work import UnitsOfWork

RESOLVED_AT = NOW + timedelta(hours=1)


def resolved(desk: Desk, *, email: str = "lena.novak@example.com", at: datetime = RESOLVED_AT) -> TicketView:
    """A ticket posted by `email`, claimed by the agent and resolved at `at`."""
    ticket_id = desk.post(email=email).view.ticket.id
    claim(desk.uow_factory, tenant=desk.tenant, actor=desk.agent, ticket_id=ticket_id, now=NOW)
    return resolve(desk.uow_factory, tenant=desk.tenant, actor=desk.agent, ticket_id=ticket_id, now=at)


def reopened(desk: Desk, ticket_id: int, *, at: datetime) -> TicketView:
    return reopen(desk.uow_factory, tenant=desk.tenant, actor=desk.agent, ticket_id=ticket_id, now=at)


def follow_ups_of(units: UnitsOfWork, merchant_id: int, ticket_id: int | None = None) -> list[FollowUpEntry]:
    with units() as uow:
        return uow.follow_ups.list(merchant_id=merchant_id, ticket_id=ticket_id, limit=100_000)


def worded(follow_up: ClaimedFollowUp) -> tuple[str, str]:
    """A stand-in for the drafter: the kind and the first name, enough to tell messages apart."""
    return f"How did it go? ({follow_up.kind})", f"Hi {follow_up.first_name or 'there'}, just checking in."


@dataclass
class RecordingSender:
    """Keeps every message it is given; fails the first `failures` sends with `retryable`."""

    sent: list[OutboundMessage] = field(default_factory=list)
    failures: int = 0
    retryable: bool = True

    def send(self, message: OutboundMessage) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise DeliveryFailed("421 try again later", retryable=self.retryable)
        self.sent.append(message)


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now
