"""What the outcome report reads (`rapport report`, the workspace's report page): each ticket received in
a period with its segment, SLA clock, resolution, the customer's next order, its grants and its CSAT.

Three statements however many tickets, each driven by the (merchant_id, received_at) index of tickets:
the tickets with their decision and a correlated lookup of the next order on the (customer_id,
created_at) index of orders; the ledger's grants of those tickets; their `csat_answered` events. The sums
and the latest answer are taken in Python, where money stays Decimal and JSON needs no dialect.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from rapport.engine.outcomes import TicketFacts
from rapport.store.models import DecisionRecord, Grant, Order, TicketEvent, TicketRecord

CSAT_EVENT = "csat_answered"  # detail {"score": 1..5}; recorded by services.csat
CSAT_SCORES = range(1, 6)


class OutcomeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def ticket_facts(
        self, *, merchant_id: int, since: datetime | None = None, until: datetime | None = None
    ) -> list[TicketFacts]:
        """The merchant's tickets received in [since, until), oldest first, with what the report needs."""
        in_period = _in_period(merchant_id, since, until)
        granted = self._granted(merchant_id, in_period)
        scores = self._csat(merchant_id, in_period)
        next_order = (
            select(func.min(Order.created_at))
            .where(
                Order.merchant_id == merchant_id,
                Order.customer_id == TicketRecord.customer_id,
                Order.created_at > TicketRecord.resolved_at,
                Order.cancelled_at.is_(None),
            )
            .correlate(TicketRecord)
            .scalar_subquery()
        )
        query = (
            select(
                TicketRecord.id,
                DecisionRecord.segment,
                TicketRecord.queue,
                TicketRecord.received_at,
                TicketRecord.first_response_due,
                TicketRecord.first_responded_at,
                TicketRecord.sla_paused_seconds,
                TicketRecord.sla_paused_since,
                TicketRecord.resolved_at,
                TicketRecord.customer_id,
                next_order,
            )
            .join(DecisionRecord, DecisionRecord.ticket_id == TicketRecord.id)
            .where(in_period)
            .order_by(TicketRecord.received_at, TicketRecord.id)
        )
        return [
            TicketFacts(
                ticket_id=row[0],
                segment=row[1],
                queue=row[2] or "-",
                received_at=row[3],
                first_response_due=row[4],
                first_responded_at=row[5],
                sla_paused_seconds=row[6] or 0,
                sla_paused_since=row[7],
                resolved_at=row[8],
                customer_id=row[9],
                next_order_at=row[10],
                granted=granted.get(row[0], Decimal(0)),
                csat=scores.get(row[0]),
            )
            for row in self.session.connection().execute(query)
        ]

    def _granted(self, merchant_id: int, in_period: ColumnElement[bool]) -> dict[int, Decimal]:
        """Per ticket, the sum of its grants in the policy's currency (a grant without one adds nothing)."""
        query = (
            select(Grant.ticket_id, Grant.amount_in_policy_currency)
            .join(TicketRecord, TicketRecord.id == Grant.ticket_id)
            .where(in_period, Grant.merchant_id == merchant_id, Grant.amount_in_policy_currency.is_not(None))
        )
        sums: dict[int, Decimal] = {}
        for ticket_id, amount in self.session.connection().execute(query):
            if ticket_id is not None and amount is not None:  # both are filtered on; mypy cannot know
                sums[ticket_id] = sums.get(ticket_id, Decimal(0)) + amount
        return sums

    def _csat(self, merchant_id: int, in_period: ColumnElement[bool]) -> dict[int, int]:
        """Per ticket, the score of its latest CSAT answer (a customer may change their mind)."""
        query = (
            select(TicketEvent.ticket_id, TicketEvent.detail)
            .join(TicketRecord, TicketRecord.id == TicketEvent.ticket_id)
            .where(in_period, TicketEvent.merchant_id == merchant_id, TicketEvent.kind == CSAT_EVENT)
            .order_by(TicketEvent.at, TicketEvent.id)
        )
        scores: dict[int, int] = {}
        for ticket_id, detail in self.session.connection().execute(query):
            score = _score(detail)
            if score is not None:
                scores[ticket_id] = score
        return scores


def _in_period(merchant_id: int, since: datetime | None, until: datetime | None) -> ColumnElement[bool]:
    conditions = [TicketRecord.merchant_id == merchant_id]
    if since is not None:
        conditions.append(TicketRecord.received_at >= since)
    if until is not None:
        conditions.append(TicketRecord.received_at < until)
    return and_(*conditions)


def _score(detail: dict[str, Any] | None) -> int | None:
    """The score of an answer; anything but an integer 1..5 is not an answer (never trusted blindly)."""
    score = (detail or {}).get("score")
    if isinstance(score, bool) or not isinstance(score, int) or score not in CSAT_SCORES:
        return None
    return score
