"""What the desk services need from the store: the `DeskRepository` port (`uow.desk`).

The store's `rapport.store.repositories.desk.DeskRepository` satisfies it structurally."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from rapport.domain import CustomerProfile, Decision, EscalationLevel, Ticket
from rapport.domain.desk import Actor, TicketStatus
from rapport.domain.desk_records import DeskEvent, DeskMessage, DeskTicket, NewMessage, QueueCount
from rapport.engine.sla import SlaClock
from rapport.schemas import StoredDecision

Cursor = tuple[int, datetime, int]  # (priority, first_response_due, id) of the last ticket of a page


class DeskRepository(Protocol):
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
    ) -> DeskTicket: ...
    def change(
        self, *, merchant_id: int, ticket_id: int, expected: TicketStatus, values: Mapping[str, Any]
    ) -> bool: ...
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
    ) -> int: ...
    def add_messages(
        self, *, merchant_id: int, ticket_id: int, messages: Sequence[NewMessage]
    ) -> list[int]: ...
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
    ) -> int: ...
    def next_claimable(
        self, *, merchant_id: int, queue: str, levels: Collection[EscalationLevel]
    ) -> tuple[int, TicketStatus] | None: ...
    def lock(self, *, merchant_id: int, ticket_id: int) -> TicketStatus | None: ...
    def get(self, *, merchant_id: int, ticket_id: int) -> DeskTicket | None: ...
    def find_by_idempotency_key(self, *, merchant_id: int, key: str) -> int | None: ...
    def find_unresolved_for_email(self, *, merchant_id: int, email: str) -> int | None: ...
    def retry_and_unresolved(
        self, *, merchant_id: int, key: str | None, email: str
    ) -> tuple[int | None, int | None]: ...
    def decision(self, *, merchant_id: int, ticket_id: int) -> StoredDecision | None: ...
    def messages(self, *, merchant_id: int, ticket_id: int) -> list[DeskMessage]: ...
    def events(self, *, merchant_id: int, ticket_id: int, kind: str | None = None) -> list[DeskEvent]: ...
    def queue_counts(self, *, merchant_id: int) -> list[QueueCount]: ...
    def overdue_candidates(self, *, merchant_id: int, now: datetime) -> list[tuple[str, SlaClock]]: ...
    def queue_page(
        self,
        *,
        merchant_id: int,
        queue: str,
        statuses: Collection[TicketStatus],
        limit: int,
        after: Cursor | None = None,
    ) -> list[DeskTicket]: ...
