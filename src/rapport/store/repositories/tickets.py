"""Triaged tickets and the decisions taken for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.domain import CustomerProfile, Decision, Ticket
from rapport.schemas import StoredDecision
from rapport.store.models import Customer, DecisionRecord, Order, TicketRecord
from rapport.store.repositories.customers import normalize_email


@dataclass(frozen=True, slots=True)
class RecordedTicket:
    """A ticket as stored, with its decision as stored (`StoredDecision`, read back whatever its version)."""

    id: int
    email: str
    message: str
    received_at: datetime
    intent: str
    order_name: str | None
    decision: StoredDecision


class TicketRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record(
        self, *, merchant_id: int, ticket: Ticket, decision: Decision, profile: CustomerProfile | None = None
    ) -> int:
        """Store the ticket and its decision; returns the ticket's row id.

        The ticket is linked to the customer with its e-mail and to its order, when the store knows them:
        both row ids are looked up inside the INSERT itself, and not at all for a guest or no order.
        """
        known = profile is None or profile.is_known
        row = TicketRecord(
            merchant_id=merchant_id,
            customer_id=self._customer_id(merchant_id, ticket.email) if known else None,
            email=normalize_email(ticket.email),
            message=ticket.message,
            received_at=ticket.received_at,
            channel=ticket.channel,
            intent=ticket.intent.value,
            order_id=self._order_id(merchant_id, ticket.order.id if ticket.order else None),
        )
        self.session.add(row)
        self.session.flush()
        self.session.add(
            DecisionRecord(
                merchant_id=merchant_id,
                ticket_id=row.id,
                created_at=ticket.received_at,
                segment=decision.segment,
                queue=decision.queue,
                priority=decision.priority,
                offer=decision.resolution.offer.value,
                amount=decision.resolution.amount,
                decision_json=StoredDecision.from_domain(decision).model_dump(mode="json"),
            )
        )
        self.session.flush()
        return row.id

    def for_email(self, *, merchant_id: int, email: str) -> list[RecordedTicket]:
        """The merchant's tickets from this e-mail, newest first, with their decisions."""
        query = (
            select(TicketRecord, DecisionRecord.decision_json, Order.name)
            .join(DecisionRecord, DecisionRecord.ticket_id == TicketRecord.id)
            .outerjoin(Order, Order.id == TicketRecord.order_id)
            .where(TicketRecord.merchant_id == merchant_id, TicketRecord.email == normalize_email(email))
            .order_by(TicketRecord.received_at.desc(), TicketRecord.id.desc())
        )
        return [
            RecordedTicket(
                id=t.id,
                email=t.email,
                message=t.message,
                received_at=t.received_at,
                intent=t.intent,
                order_name=order_name,
                decision=StoredDecision.read(decision),
            )
            for t, decision, order_name in self.session.execute(query)
        ]

    def _customer_id(self, merchant_id: int, email: str) -> Any:
        # A scalar subquery: SQLAlchemy embeds it in the INSERT, so linking costs no round trip.
        return (
            select(Customer.id)
            .where(Customer.merchant_id == merchant_id, Customer.email == normalize_email(email))
            .scalar_subquery()
        )

    def _order_id(self, merchant_id: int, external_id: str | None) -> Any:
        if external_id is None:
            return None
        return (
            select(Order.id)
            .where(Order.merchant_id == merchant_id, Order.external_id == external_id)
            .scalar_subquery()
        )
