"""What the grant ledger needs from the store: one repository inside the caller's write transaction."""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import Protocol

from rapport.engine.authority import GrantedSoFar, GrantEntry, GrantRecord


class GrantRepository(Protocol):
    def lock_customer(self, *, merchant_id: int, email: str) -> None:
        """Hold the customer's grants until the transaction ends: concurrent grants wait their turn."""
        ...

    def find_by_key(self, *, merchant_id: int, idempotency_key: str) -> GrantRecord | None: ...

    def granted_90d(
        self, *, merchant_id: int, customer_id: int | None, email: str, now: datetime
    ) -> GrantedSoFar:
        """Refunds and credits in the 90 days before `now` (contacts and ledger), policy currency."""
        ...

    def add(self, *, merchant_id: int, entry: GrantEntry) -> GrantRecord: ...

    def for_email(self, *, merchant_id: int, email: str) -> list[GrantRecord]: ...


class GrantUnitOfWork(Protocol):
    @property
    def grants(self) -> GrantRepository: ...


class GrantReading(GrantUnitOfWork, Protocol):
    """A unit of work as `grants_for` opens it: `with factory() as uow: uow.grants...`."""

    def __enter__(self) -> GrantReading: ...
    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
