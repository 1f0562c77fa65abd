"""What the services need from the outside world, as interfaces the services own.

`store/` implements these with SQLAlchemy; `tests/services/fakes.py` implements them in memory, so the
use cases can be tested without a database (cosmicpython's `AbstractUnitOfWork`). They are Protocols:
an adapter satisfies one by having the methods, without importing this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol

from rapport.domain import CustomerProfile, Decision, OrderSummary, Ticket
from rapport.domain.access import KeyInfo, StoredKey, StoredSession, UserCredentials, UserInfo
from rapport.domain.desk import Role
from rapport.domain.merchant import Merchant
from rapport.domain.policy_version import PolicyVersionInfo, StoredPolicy
from rapport.engine.outcomes import TicketFacts
from rapport.policy.cel_subset import Node
from rapport.schemas.simulation import StoredPastTicket
from rapport.services.desk.grant_ports import GrantRepository
from rapport.services.desk.ports import DeskRepository
from rapport.services.ingestion.ports import IngestionRepositories


class MerchantRepository(Protocol):
    def find(self, slug: str) -> Merchant | None: ...
    def get(self, merchant_id: int) -> Merchant | None: ...
    def find_by_shop_domain(self, shop_domain: str) -> Merchant | None: ...
    def all(self) -> list[Merchant]: ...
    def create(
        self, slug: str, *, currency: str, name: str | None = None, shop_domain: str | None = None
    ) -> Merchant: ...
    def set_currency(self, merchant_id: int, currency: str) -> None: ...
    def set_shop_domain(self, merchant_id: int, shop_domain: str) -> None: ...


class ProfileRepository(Protocol):
    def get_profile(self, *, merchant_id: int, email: str, now: datetime) -> CustomerProfile: ...


class OrderLookup(Protocol):
    def find_summary(self, *, merchant_id: int, name_or_id: str) -> OrderSummary | None: ...
    def belongs_to(self, *, merchant_id: int, external_id: str, email: str) -> bool: ...


class TicketRepository(Protocol):
    def record(
        self, *, merchant_id: int, ticket: Ticket, decision: Decision, profile: CustomerProfile
    ) -> int: ...


class PolicyVersionRepository(Protocol):
    def current(self, *, merchant_id: int) -> StoredPolicy | None: ...
    def current_version(self, *, merchant_id: int) -> int | None: ...
    def get(self, *, merchant_id: int, version: int) -> StoredPolicy | None: ...
    def history(self, *, merchant_id: int) -> list[PolicyVersionInfo]: ...
    def add(
        self,
        *,
        merchant_id: int,
        source: str,
        author_id: int | None,
        author_label: str,
        note: str | None,
        now: datetime,
    ) -> PolicyVersionInfo: ...


class UserRepository(Protocol):
    def add(
        self, *, merchant_id: int, email: str, role: Role, password_hash: str, now: datetime
    ) -> UserInfo: ...
    def find(self, *, merchant_id: int, email: str) -> UserCredentials | None: ...
    def get(self, *, merchant_id: int, user_id: int) -> UserInfo | None: ...
    def list(self, *, merchant_id: int) -> list[UserInfo]: ...
    def set_password_hash(self, *, merchant_id: int, user_id: int, password_hash: str) -> None: ...
    def disable(self, *, merchant_id: int, user_id: int, now: datetime) -> None: ...


class ApiKeyRepository(Protocol):
    def add(
        self,
        *,
        merchant_id: int,
        user_id: int | None,
        prefix: str,
        secret_hash: str,
        label: str | None,
        now: datetime,
    ) -> KeyInfo: ...
    def find_by_prefix(self, prefix: str) -> StoredKey | None: ...
    def list(self, *, merchant_id: int) -> list[KeyInfo]: ...
    def revoke(self, *, merchant_id: int, prefix: str, now: datetime) -> bool: ...


class SessionRepository(Protocol):
    def add(
        self,
        *,
        merchant_id: int,
        user_id: int,
        token_hash: str,
        csrf_token: str,
        now: datetime,
        expires_at: datetime,
    ) -> None: ...
    def find(self, token_hash: str) -> StoredSession | None: ...
    def revoke(self, token_hash: str, *, now: datetime) -> None: ...


class OutcomeRepository(Protocol):
    def ticket_facts(
        self, *, merchant_id: int, since: datetime | None = None, until: datetime | None = None
    ) -> list[TicketFacts]: ...


class SegmentCountRepository(Protocol):
    def count(
        self, *, merchant_id: int, rules: Sequence[tuple[str, Node]], otherwise: str, now: datetime
    ) -> dict[str, int]: ...


class TicketHistoryRepository(Protocol):
    """The merchant's past tickets, oldest first, for the policy simulator's `--from-store`."""

    def between(
        self, *, merchant_id: int, since: datetime, until: datetime | None = None
    ) -> list[StoredPastTicket]: ...


class UnitOfWork(IngestionRepositories, Protocol):
    """One transaction: `with uow: ...; uow.commit()`; whatever is not committed is rolled back.

    The reads every request makes (the key, the tenant, the customer's profile) end with `commit()` as
    well: a read transaction's COMMIT and ROLLBACK are the same to the data, but psycopg forgets every
    prepared statement on a ROLLBACK (it sends DEALLOCATE ALL), and PostgreSQL would then plan the
    profile's statements again for each ticket (the customer statement takes ~0.7 ms to plan).
    """

    # Read-only members, so that an adapter's concrete repositories satisfy them.
    @property
    def merchants(self) -> MerchantRepository: ...
    @property
    def profiles(self) -> ProfileRepository: ...
    @property
    def orders(self) -> OrderLookup: ...
    @property
    def tickets(self) -> TicketRepository: ...
    @property
    def policies(self) -> PolicyVersionRepository: ...
    @property
    def users(self) -> UserRepository: ...
    @property
    def api_keys(self) -> ApiKeyRepository: ...
    @property
    def web_sessions(self) -> SessionRepository: ...
    @property
    def desk(self) -> DeskRepository: ...
    @property
    def grants(self) -> GrantRepository: ...
    @property
    def outcomes(self) -> OutcomeRepository: ...
    @property
    def segment_counts(self) -> SegmentCountRepository: ...
    @property
    def ticket_history(self) -> TicketHistoryRepository: ...

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    """Makes a fresh, unopened unit of work; `write=True` for a transaction that will write.

    A reading transaction never takes a write lock (SQLite); a writing one takes it when it starts, so
    that two writers queue instead of failing when both try to upgrade a read to a write.
    """

    def __call__(self, *, write: bool = False) -> UnitOfWork: ...
