"""Past tickets for the policy simulator (`rapport simulate --from-store`): what arrived, when, and how
long an agent worked on it until the first reply."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rapport.schemas.simulation import StoredPastTicket
from rapport.store.models import Order, TicketRecord


class TicketHistoryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def between(
        self, *, merchant_id: int, since: datetime, until: datetime | None = None
    ) -> list[StoredPastTicket]:
        """The merchant's tickets received in [since, until), oldest first (one statement, by the
        (merchant_id, received_at) index). The handling time is claim to first reply, when both are known."""
        query = (
            select(
                TicketRecord.email,
                TicketRecord.message,
                TicketRecord.received_at,
                TicketRecord.channel,
                TicketRecord.intent,
                Order.external_id,
                TicketRecord.claimed_at,
                TicketRecord.first_responded_at,
            )
            .outerjoin(Order, Order.id == TicketRecord.order_id)
            .where(TicketRecord.merchant_id == merchant_id, TicketRecord.received_at >= since)
            .order_by(TicketRecord.received_at, TicketRecord.id)
        )
        if until is not None:
            query = query.where(TicketRecord.received_at < until)
        rows = self.session.execute(query).all()
        return [
            StoredPastTicket(
                email=email,
                message=message,
                received_at=_aware(received),
                channel=channel,
                intent=intent,
                order_id=order_id,
                handled_minutes=_minutes(claimed, answered),
            )
            for email, message, received, channel, intent, order_id, claimed, answered in rows
        ]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _minutes(claimed: datetime | None, answered: datetime | None) -> float | None:
    if claimed is None or answered is None:
        return None
    minutes = (_aware(answered) - _aware(claimed)).total_seconds() / 60
    return minutes if minutes >= 0 else None
