"""Test support for the outcome report: tickets as the desk leaves them (decided, answered, resolved),
their grants and CSAT answers, written as rows; times are relative to the builder's `now`.

Imported by the tests as `outcome_builders` (tests/ is on sys.path, as for `store_builders`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert

from rapport.store.models import DecisionRecord, Grant, TicketEvent, TicketRecord, table_of
from rapport.store.unit_of_work import UnitOfWork


class OutcomeBuilder:
    """Tickets of one merchant with their decision, grants and CSAT, for reports."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], *, merchant_id: int, now: datetime) -> None:
        self.uow_factory = uow_factory
        self.merchant_id = merchant_id
        self.now = now

    def _insert(self, model: Any, values: dict[str, Any]) -> int:
        with self.uow_factory() as uow:
            row_id: int = uow.outcomes.session.execute(
                insert(table_of(model)).values(merchant_id=self.merchant_id, **values).returning(model.id)
            ).scalar_one()
            uow.commit()
        return row_id

    def ticket(
        self,
        *,
        segment: str = "vip",
        queue: str = "priority",
        days_ago: float = 100,
        due_in: timedelta | None = timedelta(hours=1),
        answered_in: timedelta | None = timedelta(minutes=20),
        resolved_in: timedelta | None = None,
        customer_id: int | None = None,
        email: str = "dana.lee@example.com",
    ) -> int:
        """A ticket received `days_ago`, due, answered and resolved that long after it arrived."""
        received = self.now - timedelta(days=days_ago)
        ticket_id = self._insert(
            TicketRecord,
            {
                "customer_id": customer_id,
                "email": email,
                "message": "My bowl set arrived chipped.",
                "received_at": received,
                "channel": "email",
                "intent": "damaged_item",
                "status": "resolved" if resolved_in is not None else "claimed" if answered_in else "open",
                "queue": queue,
                "first_response_due": None if due_in is None else received + due_in,
                "first_responded_at": None if answered_in is None else received + answered_in,
                "resolved_at": None if resolved_in is None else received + resolved_in,
            },
        )
        self._insert(
            DecisionRecord,
            {
                "ticket_id": ticket_id,
                "created_at": received,
                "segment": segment,
                "queue": queue,
                "priority": 1,
                "offer": "replacement",
                "amount": None,
                "decision_json": {},
            },
        )
        return ticket_id

    def grant(
        self, ticket_id: int, amount: str | None, *, offer: str = "store_credit", currency: str = "USD"
    ) -> None:
        """A grant of the ledger for the ticket, `amount` in the policy's currency."""
        self._insert(
            Grant,
            {
                "ticket_id": ticket_id,
                "email": "dana.lee@example.com",
                "offer": offer,
                "amount": None if amount is None else Decimal(amount),
                "currency": currency,
                "amount_in_policy_currency": None if amount is None else Decimal(amount),
                "granted_by_label": "alex@acme.test",
                "role": "agent",
                "created_at": self.now,
            },
        )

    def csat(self, ticket_id: int, score: object, *, days_ago: float = 1) -> None:
        """A `csat_answered` event on the ticket, as the survey link records it."""
        self._insert(
            TicketEvent,
            {
                "ticket_id": ticket_id,
                "at": self.now - timedelta(days=days_ago),
                "kind": "csat_answered",
                "actor_label": "customer",
                "detail": {"score": score},
            },
        )
