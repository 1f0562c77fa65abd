"""Follow-ups in the store: scheduled once per (ticket, rule), cancelled, claimed by workers, marked.

Claims are safe with several workers. On PostgreSQL the due rows are picked with
`SELECT ... FOR UPDATE SKIP LOCKED` inside one `UPDATE ... RETURNING`: concurrent claimers skip each
other's rows instead of waiting or taking them twice. On SQLite the unit of work writes, so it began
with `BEGIN IMMEDIATE`: no other writer runs between the pick and the update.

A claimed row is `sending` with `next_attempt_at` as its lease: a worker killed mid-send leaves it so,
and the row is claimed again when the lease has passed (nothing is lost; see jobs.py for what may then
be sent twice and how the receiver drops it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from rapport.domain.follow_ups import (
    CLAIMABLE,
    PENDING,
    AnchorFacts,
    ClaimedFollowUp,
    FollowUpEntry,
    FollowUpPlan,
    FollowUpStatus,
)
from rapport.store.models import (
    Customer,
    DecisionRecord,
    FollowUpRecord,
    Order,
    Subscription,
    TicketRecord,
    table_of,
)
from rapport.store.repositories.customers import normalize_email

DELIVERED = ("delivered",)  # fulfillment statuses that say the parcel arrived
ACTIVE_SUBSCRIPTION = ("active",)
ERROR_LENGTH = 2000

# Core, on the table (not the mapped class): no ORM session state to synchronize, and SQLAlchemy's ORM
# UPDATE path cost three times the statement itself on every message the desk takes in.
_FOLLOW_UPS = table_of(FollowUpRecord)
_CANCEL_FOR_CUSTOMER = (
    update(_FOLLOW_UPS)
    .where(
        # Not the columns' own names: an UPDATE reserves those for its SET clause.
        _FOLLOW_UPS.c.merchant_id == bindparam("scope_merchant_id"),
        _FOLLOW_UPS.c.email == bindparam("scope_email"),
        _FOLLOW_UPS.c.status.in_([s.value for s in PENDING]),
    )
    .values(
        status=FollowUpStatus.CANCELLED.value,
        cancelled_reason=bindparam("reason"),
        updated_at=bindparam("now", type_=_FOLLOW_UPS.c.updated_at.type),
    )
)


@dataclass(frozen=True, slots=True)
class OrderFollowUp:
    """A pending follow-up of a ticket about an order, and the order as stored (before a change)."""

    id: int
    rule_key: str
    status: FollowUpStatus
    anchor: str
    due_at: datetime
    resolved_at: datetime | None
    order_external_id: str
    fulfillment_status: str
    financial_status: str
    cancelled_at: datetime | None


class FollowUpRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- scheduling ------------------------------------------------------------------------------------

    def anchors(self, *, merchant_id: int, ticket_id: int) -> AnchorFacts:
        """When the ticket's order was delivered (its last update, if its fulfillment says delivered) and
        the customer's active subscription's next billing date."""
        ticket = self.session.get(TicketRecord, ticket_id)
        if ticket is None or ticket.merchant_id != merchant_id:
            return AnchorFacts(delivered_at=None, next_billing_at=None)
        delivered_at = None
        if ticket.order_id is not None:
            order = self.session.get(Order, ticket.order_id)
            if order is not None and order.fulfillment_status.lower() in DELIVERED:
                delivered_at = order.updated_at
        next_billing_at = None
        if ticket.customer_id is not None:
            next_billing_at = self.session.scalar(
                select(Subscription.next_billing_at)
                .where(
                    Subscription.merchant_id == merchant_id,
                    Subscription.customer_id == ticket.customer_id,
                    Subscription.status.in_(ACTIVE_SUBSCRIPTION),
                    Subscription.next_billing_at.is_not(None),
                )
                .order_by(Subscription.next_billing_at)
                .limit(1)
            )
        return AnchorFacts(delivered_at=delivered_at, next_billing_at=next_billing_at)

    def schedule(self, plans: Sequence[FollowUpPlan], *, now: datetime) -> int:
        """Store each plan once per (ticket, rule): a rule already scheduled, sending or sent is left
        alone; one cancelled (the ticket was reopened) is scheduled again. How many are now scheduled."""
        scheduled = 0
        for plan in plans:
            values = {
                "merchant_id": plan.merchant_id,
                "ticket_id": plan.ticket_id,
                "customer_id": plan.customer_id,
                "email": normalize_email(plan.email),
                "rule_key": plan.rule_key,
                "kind": plan.kind,
                "channel": plan.channel,
                "sender": plan.sender,
                "anchor": plan.anchor,
                "due_at": plan.due_at,
                "status": FollowUpStatus.SCHEDULED.value,
                "attempts": 0,
                "next_attempt_at": plan.due_at,
                "created_at": now,
                "updated_at": now,
            }
            insert = pg_insert if self._dialect == "postgresql" else sqlite_insert
            statement = insert(table_of(FollowUpRecord)).values(**values)
            revived = {
                k: statement.excluded[k] for k in ("due_at", "next_attempt_at", "anchor", "updated_at")
            }
            statement = statement.on_conflict_do_update(
                index_elements=["merchant_id", "ticket_id", "rule_key"],
                set_={**revived, "status": FollowUpStatus.SCHEDULED.value, "cancelled_reason": None},
                where=table_of(FollowUpRecord).c.status == FollowUpStatus.CANCELLED.value,
            )
            scheduled += self.session.execute(statement).rowcount or 0  # type: ignore[attr-defined]
        return scheduled

    def cancel_for_customer(self, *, merchant_id: int, email: str, reason: str, now: datetime) -> int:
        """Cancel every pending follow-up of the customer (they wrote again); how many.

        Every message the desk takes in runs this, so its statement is built once."""
        result = self.session.connection().execute(
            _CANCEL_FOR_CUSTOMER,
            {
                "scope_merchant_id": merchant_id,
                "scope_email": normalize_email(email),
                "reason": reason[:200],
                "now": now,
            },
        )
        return result.rowcount or 0

    def cancel_for_ticket(self, *, merchant_id: int, ticket_id: int, reason: str, now: datetime) -> int:
        """Cancel the ticket's pending follow-ups (it was reopened); how many."""
        return self._cancel(
            and_(FollowUpRecord.merchant_id == merchant_id, FollowUpRecord.ticket_id == ticket_id),
            reason,
            now,
        )

    def cancel_ids(
        self, *, merchant_id: int, follow_up_ids: Sequence[int], reason: str, now: datetime
    ) -> int:
        """Cancel these follow-ups (those still pending); how many."""
        if not follow_up_ids:
            return 0
        return self._cancel(
            and_(FollowUpRecord.merchant_id == merchant_id, FollowUpRecord.id.in_(follow_up_ids)),
            reason,
            now,
        )

    # -- order changes ---------------------------------------------------------------------------------

    def pending_for_orders(
        self, *, merchant_id: int, order_external_ids: Sequence[str]
    ) -> list[OrderFollowUp]:
        """The pending follow-ups of tickets about these orders, with each order as stored: one query.

        It reads the pending follow-ups (of every merchant: a small, live set, on the index of
        (status, next_attempt_at)), reaches their tickets and orders by primary key and keeps those whose
        order is one of the merchant's named ones. The other way round, from the named orders, would
        need an index on tickets' `order_id` (there is none): it read every pending follow-up, or every
        one of the merchant's, once per order."""
        wanted = set(order_external_ids)
        if not wanted:
            return []
        named = select(Order.id).where(Order.merchant_id == merchant_id, Order.external_id.in_(wanted))
        rows = self.session.execute(
            select(
                FollowUpRecord.id,
                FollowUpRecord.rule_key,
                FollowUpRecord.status,
                FollowUpRecord.anchor,
                FollowUpRecord.due_at,
                TicketRecord.resolved_at,
                Order.external_id,
                Order.fulfillment_status,
                Order.financial_status,
                Order.cancelled_at,
            )
            .select_from(FollowUpRecord)
            .join(TicketRecord, TicketRecord.id == FollowUpRecord.ticket_id)
            .join(Order, Order.id == TicketRecord.order_id)
            .where(
                FollowUpRecord.status.in_([s.value for s in PENDING]),
                # The merchant's orders only: their tickets and follow-ups are the merchant's too.
                TicketRecord.order_id.in_(named.scalar_subquery()),
            )
            .order_by(FollowUpRecord.id)
        )
        return [
            OrderFollowUp(
                id=row[0],
                rule_key=row[1],
                status=FollowUpStatus(row[2]),
                anchor=row[3],
                due_at=row[4],
                resolved_at=row[5],
                order_external_id=row[6],
                fulfillment_status=row[7],
                financial_status=row[8],
                cancelled_at=row[9],
            )
            for row in rows
        ]

    def move(self, *, follow_up_id: int, anchor: str, due_at: datetime, now: datetime) -> bool:
        """Re-time a scheduled follow-up (its anchor moved); one a worker claimed, sent or anything
        else is left alone, even when that happened since it was read. Whether it moved."""
        result = self.session.execute(
            update(FollowUpRecord)
            .where(
                FollowUpRecord.id == follow_up_id,
                FollowUpRecord.status == FollowUpStatus.SCHEDULED.value,
            )
            .values(anchor=anchor, due_at=due_at, next_attempt_at=due_at, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def _cancel(self, scope: object, reason: str, now: datetime) -> int:
        result = self.session.execute(
            update(FollowUpRecord)
            .where(scope, FollowUpRecord.status.in_([s.value for s in PENDING]))  # type: ignore[arg-type]
            .values(status=FollowUpStatus.CANCELLED.value, cancelled_reason=reason[:200], updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount or 0  # type: ignore[attr-defined]

    # -- running ---------------------------------------------------------------------------------------

    def claim_due(self, *, now: datetime, lease_until: datetime, limit: int) -> list[ClaimedFollowUp]:
        """Take up to `limit` due follow-ups (scheduled, failed and due again, or `sending` whose lease
        has passed): each becomes `sending` until `lease_until`, its attempt counted."""
        due = (
            select(FollowUpRecord.id)
            .where(
                FollowUpRecord.status.in_([s.value for s in CLAIMABLE]),
                FollowUpRecord.next_attempt_at <= now,
            )
            .order_by(FollowUpRecord.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list(
            self.session.scalars(
                update(FollowUpRecord)
                .where(FollowUpRecord.id.in_(due.scalar_subquery()))
                .values(
                    status=FollowUpStatus.SENDING.value,
                    attempts=FollowUpRecord.attempts + 1,
                    next_attempt_at=lease_until,
                    updated_at=now,
                )
                .returning(FollowUpRecord.id)
                .execution_options(synchronize_session=False)
            )
        )
        return self._claimed(sorted(ids), lease_until)

    def count_due(self, *, now: datetime) -> int:
        """How many follow-ups a claim at `now` could take (what the periodic task fans out over)."""
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(FollowUpRecord)
                .where(
                    FollowUpRecord.status.in_([s.value for s in CLAIMABLE]),
                    FollowUpRecord.next_attempt_at <= now,
                )
            )
            or 0
        )

    def _claimed(self, ids: list[int], lease_until: datetime) -> list[ClaimedFollowUp]:
        if not ids:
            return []
        rows = self.session.execute(
            select(FollowUpRecord, DecisionRecord.segment, Customer.first_name, TicketRecord)
            .join(TicketRecord, TicketRecord.id == FollowUpRecord.ticket_id)
            .outerjoin(DecisionRecord, DecisionRecord.ticket_id == FollowUpRecord.ticket_id)
            .outerjoin(Customer, Customer.id == FollowUpRecord.customer_id)
            .where(FollowUpRecord.id.in_(ids))
            .order_by(FollowUpRecord.id)
        )
        return [
            ClaimedFollowUp(
                id=f.id,
                merchant_id=f.merchant_id,
                ticket_id=f.ticket_id,
                email=f.email,
                kind=f.kind,
                channel=f.channel,
                sender=f.sender,
                attempts=f.attempts,
                lease_until=lease_until,
                segment=segment or "default",
                first_name=first_name,
                customer_name=ticket.customer_name,
                ticket_subject=ticket.subject,
                intent=ticket.intent,
            )
            for f, segment, first_name, ticket in rows
        ]

    def mark_sent(self, *, follow_up_id: int, lease_until: datetime, now: datetime) -> bool:
        """Sent: only if this worker's claim still holds (same lease); whether it did."""
        return self._finish(
            follow_up_id, lease_until, status=FollowUpStatus.SENT, sent_at=now, updated_at=now
        )

    def mark_failed(
        self,
        *,
        follow_up_id: int,
        lease_until: datetime,
        error: str,
        retry_at: datetime | None,
        now: datetime,
    ) -> bool:
        """Failed: tried again at `retry_at`, or `dead` without one; only under this worker's claim."""
        status = FollowUpStatus.FAILED if retry_at is not None else FollowUpStatus.DEAD
        values: dict[str, object] = {"status": status, "last_error": error[:ERROR_LENGTH], "updated_at": now}
        if retry_at is not None:
            values["next_attempt_at"] = retry_at
        return self._finish(follow_up_id, lease_until, **values)

    def _finish(self, follow_up_id: int, lease_until: datetime, **values: object) -> bool:
        if isinstance(values.get("status"), FollowUpStatus):
            values["status"] = str(values["status"])
        result = self.session.execute(
            update(FollowUpRecord)
            .where(
                FollowUpRecord.id == follow_up_id,
                FollowUpRecord.status == FollowUpStatus.SENDING.value,
                FollowUpRecord.next_attempt_at == lease_until,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def retry(self, *, merchant_id: int, follow_up_id: int, now: datetime) -> bool:
        """An admin's retry of a dead (or failed) follow-up: due now, attempts from zero."""
        result = self.session.execute(
            update(FollowUpRecord)
            .where(
                FollowUpRecord.merchant_id == merchant_id,
                FollowUpRecord.id == follow_up_id,
                FollowUpRecord.status.in_([FollowUpStatus.DEAD.value, FollowUpStatus.FAILED.value]),
            )
            .values(status=FollowUpStatus.SCHEDULED.value, attempts=0, next_attempt_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # -- reading ---------------------------------------------------------------------------------------

    def list(
        self,
        *,
        merchant_id: int,
        status: FollowUpStatus | None = None,
        ticket_id: int | None = None,
        limit: int = 100,
    ) -> list[FollowUpEntry]:
        query = select(FollowUpRecord).where(FollowUpRecord.merchant_id == merchant_id)
        if status is not None:
            query = query.where(FollowUpRecord.status == status.value)
        if ticket_id is not None:
            query = query.where(FollowUpRecord.ticket_id == ticket_id)
        rows = self.session.scalars(query.order_by(FollowUpRecord.due_at, FollowUpRecord.id).limit(limit))
        return [_entry(row) for row in rows]

    def get(self, *, merchant_id: int, follow_up_id: int) -> FollowUpEntry | None:
        row = self.session.get(FollowUpRecord, follow_up_id)
        return _entry(row) if row is not None and row.merchant_id == merchant_id else None

    @property
    def _dialect(self) -> str:
        bind = self.session.get_bind()
        return bind.dialect.name


def _entry(row: FollowUpRecord) -> FollowUpEntry:
    return FollowUpEntry(
        id=row.id,
        merchant_id=row.merchant_id,
        ticket_id=row.ticket_id,
        email=row.email,
        kind=row.kind,
        channel=row.channel,
        anchor=row.anchor,
        status=FollowUpStatus(row.status),
        due_at=row.due_at,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        sent_at=row.sent_at,
        cancelled_reason=row.cancelled_reason,
    )
