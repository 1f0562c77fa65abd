"""What the follow-up services need from the store: the follow-ups repository of a unit of work.

The store's units of work carry it as `uow.follow_ups` (`rapport.store.unit_of_work`); a unit of
work without it (one built before follow-ups existed) schedules nothing rather than failing a resolve.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from rapport.domain.follow_ups import (
    AnchorFacts,
    ClaimedFollowUp,
    FollowUpEntry,
    FollowUpPlan,
    FollowUpStatus,
)
from rapport.services.ports import UnitOfWork


class OrderFollowUp(Protocol):
    """A pending follow-up of a ticket about an order, with what the store held of that order before
    the change being written (`rapport.store` returns a dataclass of this shape)."""

    @property
    def id(self) -> int: ...
    @property
    def rule_key(self) -> str: ...
    @property
    def status(self) -> FollowUpStatus: ...
    @property
    def anchor(self) -> str: ...
    @property
    def due_at(self) -> datetime: ...
    @property
    def resolved_at(self) -> datetime | None: ...  # the ticket's resolution
    @property
    def order_external_id(self) -> str: ...
    @property
    def fulfillment_status(self) -> str: ...
    @property
    def financial_status(self) -> str: ...
    @property
    def cancelled_at(self) -> datetime | None: ...


class FollowUpRepository(Protocol):
    def anchors(self, *, merchant_id: int, ticket_id: int) -> AnchorFacts: ...
    def pending_for_orders(
        self, *, merchant_id: int, order_external_ids: Sequence[str]
    ) -> Sequence[OrderFollowUp]: ...
    def move(self, *, follow_up_id: int, anchor: str, due_at: datetime, now: datetime) -> bool: ...
    def cancel_ids(
        self, *, merchant_id: int, follow_up_ids: Sequence[int], reason: str, now: datetime
    ) -> int: ...
    def schedule(self, plans: Sequence[FollowUpPlan], *, now: datetime) -> int: ...
    def cancel_for_customer(self, *, merchant_id: int, email: str, reason: str, now: datetime) -> int: ...
    def cancel_for_ticket(self, *, merchant_id: int, ticket_id: int, reason: str, now: datetime) -> int: ...
    def claim_due(self, *, now: datetime, lease_until: datetime, limit: int) -> list[ClaimedFollowUp]: ...
    def count_due(self, *, now: datetime) -> int: ...
    def mark_sent(self, *, follow_up_id: int, lease_until: datetime, now: datetime) -> bool: ...
    def mark_failed(
        self,
        *,
        follow_up_id: int,
        lease_until: datetime,
        error: str,
        retry_at: datetime | None,
        now: datetime,
    ) -> bool: ...
    def get(self, *, merchant_id: int, follow_up_id: int) -> FollowUpEntry | None: ...
    def retry(self, *, merchant_id: int, follow_up_id: int, now: datetime) -> bool: ...
    def list(
        self,
        *,
        merchant_id: int,
        status: FollowUpStatus | None = None,
        ticket_id: int | None = None,
        limit: int = 100,
    ) -> list[FollowUpEntry]: ...


class FollowUpUnitOfWork(UnitOfWork, Protocol):
    @property
    def follow_ups(self) -> FollowUpRepository: ...
    def __enter__(self) -> FollowUpUnitOfWork: ...


class FollowUpUnitOfWorkFactory(Protocol):
    def __call__(self, *, write: bool = False) -> FollowUpUnitOfWork: ...


def follow_up_store(uow: object) -> FollowUpRepository | None:
    """The unit of work's follow-ups repository, or None when it has none."""
    store: FollowUpRepository | None = getattr(uow, "follow_ups", None)
    return store
