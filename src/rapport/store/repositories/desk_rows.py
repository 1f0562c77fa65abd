"""The desk's rows as plain values: a ticket row (with its decision's segment and home queue, its order and
its assignee) as a `DeskTicket`, and a ticket just written as the `DeskTicket` reading it would give."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Any

from sqlalchemy import Select, select

from rapport.domain import Decision, EscalationLevel, Ticket
from rapport.domain.desk import TicketStatus
from rapport.domain.desk_records import DeskTicket
from rapport.store.models import DecisionRecord, Order, TicketRecord, User
from rapport.store.repositories.customers import normalize_email
from rapport.store.repositories.tickets import StoredTicket


def created_ticket(
    stored: StoredTicket,
    *,
    merchant_id: int,
    ticket: Ticket,
    decision: Decision,
    subject: str | None,
    customer_name: str | None,
    status: TicketStatus,
    queue: str,
    claim_level: EscalationLevel,
    idempotency_key: str | None,
) -> DeskTicket:
    """The new desk ticket as stored: what was written, the ids its INSERT returned, times in UTC."""
    order = ticket.order if stored.order_id is not None else None
    at = ticket.received_at.astimezone(UTC)
    due = decision.first_response_due.astimezone(UTC)
    return DeskTicket(
        id=stored.id,
        merchant_id=merchant_id,
        email=normalize_email(ticket.email),
        customer_name=customer_name,
        subject=subject,
        channel=ticket.channel,
        intent=ticket.intent.value,
        status=status,
        queue=queue,
        home_queue=decision.queue,
        segment=decision.segment,
        priority=decision.priority,
        escalation_level=decision.escalation_level,
        claim_level=claim_level,
        assignee_id=None,
        assignee_label=None,
        received_at=at,
        first_response_due=due,
        first_responded_at=None,
        sla_paused_since=None,
        sla_paused_seconds=0,
        claimed_at=None,
        resolved_at=None,
        updated_at=at,
        idempotency_key=idempotency_key,
        customer_id=stored.customer_id,
        order_id=stored.order_id,
        order_name=order.name if order else None,
        order_total=order.total if order else None,
        order_currency=order.currency if order else None,
    )


def ticket_rows() -> Select[*tuple[Any, ...]]:
    """Tickets with their decision's segment and home queue, their order and their assignee's e-mail."""
    return (
        select(
            TicketRecord,
            DecisionRecord.segment,
            DecisionRecord.queue,
            Order.name,
            Order.total,
            Order.currency,
            User.email,
        )
        .join(DecisionRecord, DecisionRecord.ticket_id == TicketRecord.id)
        .outerjoin(Order, Order.id == TicketRecord.order_id)
        .outerjoin(User, User.id == TicketRecord.assignee_id)
    )


def desk_ticket(row: Sequence[Any]) -> DeskTicket:
    """A row of `ticket_rows()` as a `DeskTicket`."""
    t, segment, home_queue, order_name, order_total, order_currency, assignee = row
    return DeskTicket(
        id=t.id,
        merchant_id=t.merchant_id,
        email=t.email,
        customer_name=t.customer_name,
        subject=t.subject,
        channel=t.channel,
        intent=t.intent,
        status=TicketStatus(t.status),
        queue=t.queue,
        home_queue=home_queue,
        segment=segment,
        priority=t.priority,
        escalation_level=EscalationLevel(t.escalation_level),
        claim_level=EscalationLevel(t.claim_level),
        assignee_id=t.assignee_id,
        assignee_label=assignee,
        received_at=t.received_at,
        first_response_due=t.first_response_due or t.received_at,
        first_responded_at=t.first_responded_at,
        sla_paused_since=t.sla_paused_since,
        sla_paused_seconds=t.sla_paused_seconds,
        claimed_at=t.claimed_at,
        resolved_at=t.resolved_at,
        updated_at=t.updated_at,
        idempotency_key=t.idempotency_key,
        customer_id=t.customer_id,
        order_id=t.order_id,
        order_name=order_name,
        order_total=order_total,
        order_currency=order_currency,
    )
