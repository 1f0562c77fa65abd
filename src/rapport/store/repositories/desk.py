"""The desk's tickets: where each is in its lifecycle, its conversation and its history; queues; claims.

Every statement is scoped by `merchant_id`: another merchant's ticket id finds nothing. Claims are
atomic: on PostgreSQL the next ticket is picked with `SELECT ... FOR UPDATE SKIP LOCKED` (concurrent
claimers skip each other's rows instead of waiting for them); on SQLite the unit of work writes, so it
began with `BEGIN IMMEDIATE` and no other writer runs between the pick and the guarded UPDATE.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from rapport.domain import CustomerProfile, Decision, EscalationLevel, Ticket
from rapport.domain.desk import Actor, TicketStatus
from rapport.domain.desk_records import DeskEvent, DeskMessage, DeskTicket, NewMessage, QueueCount
from rapport.engine.sla import SlaClock
from rapport.schemas import StoredDecision
from rapport.store.models import (
    DecisionRecord,
    TicketEvent,
    TicketMessage,
    TicketRecord,
    table_of,
)
from rapport.store.repositories.customers import normalize_email
from rapport.store.repositories.desk_rows import created_ticket, desk_ticket, ticket_rows
from rapport.store.repositories.tickets import TicketRepository

Cursor = tuple[int, datetime, int]  # (priority, first_response_due, id) of the last ticket of a page


# SQLAlchemy sends the rows as one multi-row VALUES ("insertmanyvalues") on PostgreSQL and returns the ids in
# their order; on SQLite, whose RETURNING does not promise an order, one row at a time.
_MESSAGES_INSERT = insert(table_of(TicketMessage)).returning(
    table_of(TicketMessage).c.id, sort_by_parameter_order=True
)
_EVENT_INSERT = insert(table_of(TicketEvent)).returning(table_of(TicketEvent).c.id)


# The intake's lookups, built once (every message runs them, and building the expression each time cost
# more than running it) in Core on the table, run on the session's connection: the ORM's execution
# path cost more than the statement (nothing the ORM holds is pending when they run).
_TICKETS = table_of(TicketRecord)
_BY_IDEMPOTENCY_KEY = select(_TICKETS.c.id).where(
    _TICKETS.c.merchant_id == bindparam("merchant_id"), _TICKETS.c.idempotency_key == bindparam("key")
)
_UNRESOLVED_FOR_EMAIL = (
    select(_TICKETS.c.id)
    .where(
        _TICKETS.c.merchant_id == bindparam("merchant_id"),
        _TICKETS.c.email == bindparam("email"),
        _TICKETS.c.status != TicketStatus.RESOLVED.value,
    )
    .order_by(_TICKETS.c.received_at.desc(), _TICKETS.c.id.desc())
    .limit(1)
)
# Both at once, for the intake's write transaction: one statement instead of two.
_RETRY_AND_UNRESOLVED = select(
    _BY_IDEMPOTENCY_KEY.scalar_subquery().label("retry"),
    _UNRESOLVED_FOR_EMAIL.scalar_subquery().label("unresolved"),
)


class DeskRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- writing --------------------------------------------------------------------------------------

    def create(
        self,
        *,
        merchant_id: int,
        ticket: Ticket,
        decision: Decision,
        profile: CustomerProfile,
        subject: str | None,
        customer_name: str | None,
        status: TicketStatus,
        queue: str,
        claim_level: EscalationLevel,
        idempotency_key: str | None,
    ) -> DeskTicket:
        """Store a new desk ticket with its decision (the tickets repository writes both rows, desk
        columns included); the ticket as stored, built from what was written and the ids the INSERT
        returned (reading it back would cost a statement for nothing)."""
        at = ticket.received_at.astimezone(UTC)
        due = decision.first_response_due.astimezone(UTC)
        stored = TicketRepository(self.session).write(
            merchant_id=merchant_id,
            ticket=ticket,
            decision=decision,
            profile=profile,
            desk={
                "subject": subject,
                "customer_name": customer_name,
                "status": status.value,
                "queue": queue,
                "priority": decision.priority,
                "escalation_level": decision.escalation_level.value,
                "claim_level": claim_level.value,
                "first_response_due": due,
                "updated_at": at,
                "idempotency_key": idempotency_key,
            },
        )
        return created_ticket(
            stored,
            merchant_id=merchant_id,
            ticket=ticket,
            decision=decision,
            subject=subject,
            customer_name=customer_name,
            status=status,
            queue=queue,
            claim_level=claim_level,
            idempotency_key=idempotency_key,
        )

    def change(
        self, *, merchant_id: int, ticket_id: int, expected: TicketStatus, values: Mapping[str, Any]
    ) -> bool:
        """Set `values` on the ticket if it is still in `expected` status; whether it was."""
        result = self.session.execute(
            update(TicketRecord)
            .where(
                TicketRecord.merchant_id == merchant_id,
                TicketRecord.id == ticket_id,
                TicketRecord.status == expected.value,
            )
            .values(
                **{
                    k: v.value if isinstance(v, TicketStatus | EscalationLevel) else v
                    for k, v in values.items()
                }
            )
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def add_message(
        self,
        *,
        merchant_id: int,
        ticket_id: int,
        author: str,
        body: str,
        now: datetime,
        user_id: int | None = None,
        draft_source: str | None = None,
        guardrails: dict[str, Any] | None = None,
    ) -> int:
        message = NewMessage(
            author=author,
            body=body,
            created_at=now,
            user_id=user_id,
            draft_source=draft_source,
            guardrails=guardrails,
        )
        (message_id,) = self.add_messages(merchant_id=merchant_id, ticket_id=ticket_id, messages=[message])
        return message_id

    def add_messages(self, *, merchant_id: int, ticket_id: int, messages: Sequence[NewMessage]) -> list[int]:
        """Add several messages (one multi-row INSERT ... RETURNING on PostgreSQL); their ids, in order."""
        rows = [
            {
                "merchant_id": merchant_id,
                "ticket_id": ticket_id,
                "author": m.author,
                "user_id": m.user_id,
                "body": m.body,
                "created_at": m.created_at,
                "draft_source": m.draft_source,
                "guardrails": m.guardrails,
            }
            for m in messages
        ]
        return [int(i) for i in self.session.connection().execute(_MESSAGES_INSERT, rows).scalars()]

    def add_event(
        self,
        *,
        merchant_id: int,
        ticket_id: int,
        kind: str,
        at: datetime,
        actor: Actor,
        from_status: TicketStatus | None,
        to_status: TicketStatus | None,
        detail: dict[str, Any] | None = None,
    ) -> int:
        values = {
            "merchant_id": merchant_id,
            "ticket_id": ticket_id,
            "at": at,
            "kind": kind,
            "from_status": None if from_status is None else from_status.value,
            "to_status": None if to_status is None else to_status.value,
            "actor_user_id": actor.user_id,
            "actor_key_id": actor.key_id,
            "actor_label": actor.shown_as,
            "detail": detail,
        }
        return int(self.session.connection().execute(_EVENT_INSERT, values).scalar_one())

    # -- claims ---------------------------------------------------------------------------------------

    def next_claimable(
        self, *, merchant_id: int, queue: str, levels: Collection[EscalationLevel]
    ) -> tuple[int, TicketStatus] | None:
        """The most urgent claimable ticket of `queue` at one of `levels`, locked for this transaction
        (PostgreSQL skips rows another claimer holds)."""
        query = (
            select(TicketRecord.id, TicketRecord.status)
            .where(
                TicketRecord.merchant_id == merchant_id,
                TicketRecord.queue == queue,
                TicketRecord.status.in_([TicketStatus.OPEN.value, TicketStatus.ESCALATED.value]),
                TicketRecord.claim_level.in_([level.value for level in levels]),
            )
            .order_by(TicketRecord.priority.desc(), TicketRecord.first_response_due, TicketRecord.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        row = self.session.execute(query).first()
        return None if row is None else (row[0], TicketStatus(row[1]))

    def lock(self, *, merchant_id: int, ticket_id: int) -> TicketStatus | None:
        """Lock the ticket's row until the transaction ends (PostgreSQL); its status, None if absent."""
        status = self.session.execute(
            select(TicketRecord.status)
            .where(TicketRecord.merchant_id == merchant_id, TicketRecord.id == ticket_id)
            .with_for_update()
        ).scalar_one_or_none()
        return None if status is None else TicketStatus(status)

    # -- reading --------------------------------------------------------------------------------------

    def get(self, *, merchant_id: int, ticket_id: int) -> DeskTicket | None:
        row = self.session.execute(
            ticket_rows().where(TicketRecord.merchant_id == merchant_id, TicketRecord.id == ticket_id)
        ).first()
        return None if row is None else desk_ticket(row)

    def find_by_idempotency_key(self, *, merchant_id: int, key: str) -> int | None:
        found = self.session.connection().execute(
            _BY_IDEMPOTENCY_KEY, {"merchant_id": merchant_id, "key": key}
        )
        return found.scalar_one_or_none()

    def find_unresolved_for_email(self, *, merchant_id: int, email: str) -> int | None:
        """The customer's newest ticket that is not resolved (a new message appends to it)."""
        found = self.session.connection().execute(
            _UNRESOLVED_FOR_EMAIL, {"merchant_id": merchant_id, "email": normalize_email(email)}
        )
        return found.scalar_one_or_none()

    def retry_and_unresolved(
        self, *, merchant_id: int, key: str | None, email: str
    ) -> tuple[int | None, int | None]:
        """(the ticket stored with idempotency `key`, the customer's newest unresolved ticket), in one
        statement; None where there is none (no key: no retry)."""
        params = {"merchant_id": merchant_id, "key": key, "email": normalize_email(email)}
        retry, unresolved = self.session.connection().execute(_RETRY_AND_UNRESOLVED, params).one()
        return retry, unresolved

    def decision(self, *, merchant_id: int, ticket_id: int) -> StoredDecision | None:
        stored = self.session.execute(
            select(DecisionRecord.decision_json).where(
                DecisionRecord.merchant_id == merchant_id, DecisionRecord.ticket_id == ticket_id
            )
        ).scalar_one_or_none()
        return None if stored is None else StoredDecision.read(stored)

    def messages(self, *, merchant_id: int, ticket_id: int) -> list[DeskMessage]:
        """The conversation, oldest first; the kept draft has author `draft`."""
        rows = self.session.scalars(
            select(TicketMessage)
            .where(TicketMessage.merchant_id == merchant_id, TicketMessage.ticket_id == ticket_id)
            .order_by(TicketMessage.created_at, TicketMessage.id)
        )
        return [
            DeskMessage(
                id=m.id,
                author=m.author,
                user_id=m.user_id,
                body=m.body,
                created_at=m.created_at,
                draft_source=m.draft_source,
                guardrails=m.guardrails,
            )
            for m in rows
        ]

    def events(self, *, merchant_id: int, ticket_id: int, kind: str | None = None) -> list[DeskEvent]:
        """The ticket's history, oldest first (only events of `kind` when given)."""
        query = select(TicketEvent).where(
            TicketEvent.merchant_id == merchant_id, TicketEvent.ticket_id == ticket_id
        )
        if kind is not None:
            query = query.where(TicketEvent.kind == kind)
        rows = self.session.scalars(query.order_by(TicketEvent.at, TicketEvent.id))
        return [
            DeskEvent(
                id=e.id,
                at=e.at,
                kind=e.kind,
                from_status=None if e.from_status is None else TicketStatus(e.from_status),
                to_status=None if e.to_status is None else TicketStatus(e.to_status),
                actor_user_id=e.actor_user_id,
                actor_key_id=e.actor_key_id,
                actor_label=e.actor_label,
                detail=e.detail,
            )
            for e in rows
        ]

    def queue_counts(self, *, merchant_id: int) -> list[QueueCount]:
        """Per queue and status: how many tickets, and the earliest due among those not yet answered."""
        unanswered_due = func.min(TicketRecord.first_response_due).filter(
            TicketRecord.first_responded_at.is_(None)
        )
        query = (
            select(TicketRecord.queue, TicketRecord.status, func.count(), unanswered_due)
            .where(TicketRecord.merchant_id == merchant_id)
            .group_by(TicketRecord.queue, TicketRecord.status)
        )
        return [
            QueueCount(queue=q, status=TicketStatus(s), count=n, oldest_due=due)
            for q, s, n, due in self.session.execute(query)
        ]

    def overdue_candidates(self, *, merchant_id: int, now: datetime) -> list[tuple[str, SlaClock]]:
        """The clocks of unresolved tickets whose decision's due time has passed (a pause only moves
        the due time later, so every breached ticket is among them)."""
        query = select(
            TicketRecord.queue,
            TicketRecord.first_response_due,
            TicketRecord.first_responded_at,
            TicketRecord.sla_paused_seconds,
            TicketRecord.sla_paused_since,
        ).where(
            TicketRecord.merchant_id == merchant_id,
            TicketRecord.status != TicketStatus.RESOLVED.value,
            TicketRecord.first_response_due < now,
        )
        return [
            (queue, SlaClock(due, responded, paused, since))
            for queue, due, responded, paused, since in self.session.execute(query)
            if due is not None
        ]

    def queue_page(
        self,
        *,
        merchant_id: int,
        queue: str,
        statuses: Collection[TicketStatus],
        limit: int,
        after: Cursor | None = None,
    ) -> list[DeskTicket]:
        """A page of the queue: priority first (highest), then the due time (earliest), then id."""
        query = ticket_rows().where(
            TicketRecord.merchant_id == merchant_id,
            TicketRecord.queue == queue,
            TicketRecord.status.in_([s.value for s in statuses]),
        )
        if after is not None:
            priority, due, last_id = after
            query = query.where(
                (TicketRecord.priority < priority)
                | ((TicketRecord.priority == priority) & (TicketRecord.first_response_due > due))
                | (
                    (TicketRecord.priority == priority)
                    & (TicketRecord.first_response_due == due)
                    & (TicketRecord.id > last_id)
                )
            )
        query = query.order_by(
            TicketRecord.priority.desc(), TicketRecord.first_response_due, TicketRecord.id
        ).limit(limit)
        return [desk_ticket(row) for row in self.session.execute(query)]
