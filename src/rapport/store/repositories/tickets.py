"""Triaged tickets and the decisions taken for them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, Table, bindparam, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import BindParameter

from rapport.domain import CustomerProfile, Decision, Ticket
from rapport.schemas import StoredDecision
from rapport.store.models import Customer, DecisionRecord, Order, TicketRecord, table_of
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
        """Store the ticket and its decision; returns the ticket's row id."""
        return self.write(merchant_id=merchant_id, ticket=ticket, decision=decision, profile=profile).id

    def write(
        self,
        *,
        merchant_id: int,
        ticket: Ticket,
        decision: Decision,
        profile: CustomerProfile | None = None,
        desk: Mapping[str, Any] | None = None,
    ) -> StoredTicket:
        """Store the ticket and its decision; the ticket's row id with the row ids it was linked to.

        The ticket is linked to the customer with its e-mail and to its order, when the store knows them:
        both row ids are looked up inside the INSERT itself, and not at all for a guest or no order.
        `desk` holds the desk's columns of a new desk ticket (queue, status, ...), written in the same
        INSERT. PostgreSQL writes both rows in one statement (the decision's INSERT reads the ticket's
        RETURNING in a CTE); SQLite, which has no INSERT in a CTE, in two.
        """
        known = profile is None or profile.is_known
        order_external_id = ticket.order.id if ticket.order else None
        values: dict[str, Any] = {
            "merchant_id": merchant_id,
            "email": normalize_email(ticket.email),
            "message": ticket.message,
            "received_at": ticket.received_at,
            "channel": ticket.channel,
            "intent": ticket.intent.value,
            **(desk or {}),
        }
        if order_external_id is not None:
            values["order_external_id"] = order_external_id
        decision_values = {
            "created_at": ticket.received_at,
            "segment": decision.segment,
            "queue": decision.queue,
            "priority": decision.priority,
            "offer": decision.resolution.offer.value,
            "amount": decision.resolution.amount,
            "decision_json": StoredDecision.from_domain(decision).model_dump(mode="json"),
        }
        shape = _Shape(known=known, has_order=order_external_id is not None, desk=tuple(sorted(desk or ())))
        params = {_param(name): value for name, value in values.items()}
        # Core statements on the session's connection: the ORM's execution path is not needed for them.
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            both = params | {_param(name, _DECISIONS): value for name, value in decision_values.items()}
            row = connection.execute(_both_in_one(shape), both).one()
        else:
            row = connection.execute(_ticket_insert(shape), params).one()
            connection.execute(
                _decision_insert(), decision_values | {"merchant_id": merchant_id, "ticket_id": row.id}
            )
        return StoredTicket(id=row.id, customer_id=row.customer_id, order_id=row.order_id)

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


@dataclass(frozen=True, slots=True)
class StoredTicket:
    """A ticket just written: its row id and the customer and order rows it was linked to (if any)."""

    id: int
    customer_id: int | None
    order_id: int | None


@dataclass(frozen=True, slots=True)
class _Shape:
    """What varies between ticket INSERTs: whether the customer and an order are looked up, which desk
    columns are written. Each shape's statement is built once and its compiled form cached."""

    known: bool
    has_order: bool
    desk: tuple[str, ...]


_TICKETS = table_of(TicketRecord)
_DECISIONS = table_of(DecisionRecord)
_DECISION_COLUMNS = ("created_at", "segment", "queue", "priority", "offer", "amount", "decision_json")


@lru_cache(maxsize=64)
def _ticket_insert(shape: _Shape) -> Insert:
    columns = ("merchant_id", "email", "message", "received_at", "channel", "intent", *shape.desk)
    values: dict[str, Any] = {name: _bound(_TICKETS, name) for name in columns}
    if shape.known:
        # A scalar subquery: embedded in the INSERT, so linking costs no round trip.
        values["customer_id"] = (
            select(Customer.id)
            .where(Customer.merchant_id == values["merchant_id"], Customer.email == values["email"])
            .scalar_subquery()
        )
    if shape.has_order:
        external_id = bindparam(_param("order_external_id"), type_=Order.external_id.type)
        values["order_id"] = (
            select(Order.id)
            .where(Order.merchant_id == values["merchant_id"], Order.external_id == external_id)
            .scalar_subquery()
        )
    return (
        insert(_TICKETS).values(values).returning(_TICKETS.c.id, _TICKETS.c.customer_id, _TICKETS.c.order_id)
    )


def _param(column: str, table: Table = _TICKETS) -> str:
    # Not the column's own name (SQLAlchemy reserves that for the VALUES clause it builds itself), and
    # one prefix per table: the ticket and its decision both have a queue and a priority, not always equal.
    return f"{table.name}_{column}"


def _bound(table: Table, column: str) -> BindParameter[Any]:
    return bindparam(_param(column, table), type_=table.c[column].type)


@lru_cache(maxsize=1)
def _decision_insert() -> Insert:
    return insert(_DECISIONS)


@lru_cache(maxsize=64)
def _both_in_one(shape: _Shape) -> Select[tuple[int, int | None, int | None]]:
    """PostgreSQL: `WITH t AS (INSERT INTO tickets ... RETURNING ...), d AS (INSERT INTO decisions
    SELECT ... FROM t) SELECT ... FROM t` — the ticket and its decision in one statement, one round trip."""
    ticket = _ticket_insert(shape).cte("new_ticket")
    decision = (
        insert(_DECISIONS)
        .from_select(
            ["ticket_id", "merchant_id", *_DECISION_COLUMNS],
            select(
                ticket.c.id,
                _bound(_TICKETS, "merchant_id"),
                *(_bound(_DECISIONS, name) for name in _DECISION_COLUMNS),
            ),
        )
        .cte("new_decision")
    )
    return select(ticket.c.id, ticket.c.customer_id, ticket.c.order_id).add_cte(decision)
