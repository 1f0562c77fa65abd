"""One transaction and its repositories: `with uow: ...; uow.commit()`; anything uncommitted rolls back."""

from __future__ import annotations

import threading
from types import TracebackType

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from rapport.domain.errors import StoreUnavailable
from rapport.store.database import (
    SQLITE_BUSY_TIMEOUT_MS,
    WRITE_LOCK_UP_FRONT,
    make_engine,
    session_factory,
    upgrade,
)
from rapport.store.repositories import (
    ApiKeyRepository,
    ContactRepository,
    CustomerRepository,
    GrantRepository,
    MerchantRepository,
    OrderBulkRepository,
    OrderRepository,
    PolicyVersionRepository,
    ProfileRepository,
    SessionRepository,
    ShopifyRepository,
    SubscriptionRepository,
    TicketRepository,
    UserRepository,
)
from rapport.store.repositories.desk import DeskRepository
from rapport.store.repositories.follow_ups import FollowUpRepository
from rapport.store.repositories.outcomes import OutcomeRepository
from rapport.store.repositories.segment_counts import SegmentCountRepository
from rapport.store.repositories.ticket_history import TicketHistoryRepository
from rapport.store.statistics import refresh_after_commit
from rapport.store.upsert import domain_errors

# A writer waits in its process's queue as long as SQLite would have let it wait for the lock.
WRITER_QUEUE_TIMEOUT_S = SQLITE_BUSY_TIMEOUT_MS / 1000


class UnitOfWork:
    """Opens a session on `with`, exposes the repositories, rolls back whatever was not committed.

    `write=True` says the transaction will write: on SQLite it then starts with `BEGIN IMMEDIATE` when
    the `with` block opens, taking the write lock before its first read, so that concurrent writers wait
    for each other (busy timeout) instead of failing with "database is locked" when a read transaction
    tries to become a write one. Without it the transaction is a deferred `BEGIN`: it reads from its
    snapshot and never takes the write lock (a write inside it still works, but may then fail under
    contention). On PostgreSQL both begin the same way.

    SQLite's busy timeout is not fair: a waiting writer sleeps and retries, and under contention a few
    threads can take the lock again and again while others wait many seconds (50 claimers on one
    process: 12 were served, the slowest waited 9.9 s). So writers of the same process first queue on
    `writer_lock` (the factory gives one per SQLite database), and only the head of that queue waits
    on SQLite itself, for writers in other processes.
    """

    merchants: MerchantRepository
    customers: CustomerRepository
    orders: OrderRepository
    bulk_orders: OrderBulkRepository
    subscriptions: SubscriptionRepository
    contacts: ContactRepository
    tickets: TicketRepository
    profiles: ProfileRepository
    shopify: ShopifyRepository
    policies: PolicyVersionRepository
    desk: DeskRepository
    grants: GrantRepository
    outcomes: OutcomeRepository
    follow_ups: FollowUpRepository
    segment_counts: SegmentCountRepository
    ticket_history: TicketHistoryRepository
    users: UserRepository
    api_keys: ApiKeyRepository
    web_sessions: SessionRepository

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        write: bool = False,
        writer_lock: threading.RLock | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None
        self.write = write  # this transaction will write: it may take the write lock up front
        self._writer_lock = writer_lock if write else None
        self._holding_writer_lock = False

    def __enter__(self) -> UnitOfWork:
        if self._session is not None:
            raise RuntimeError("this unit of work is already open; make one per transaction")
        if self._writer_lock is not None:
            if not self._writer_lock.acquire(timeout=WRITER_QUEUE_TIMEOUT_S):
                raise StoreUnavailable("the store is busy with other writes; try again")
            self._holding_writer_lock = True
        if self.write:
            # Every transaction of this session (also one begun after a commit) takes the lock up front.
            session = self._session_factory(execution_options={WRITE_LOCK_UP_FRONT: True})
        else:
            session = self._session_factory()
        self._session = session
        self.merchants = MerchantRepository(session)
        self.customers = CustomerRepository(session)
        self.orders = OrderRepository(session)
        self.bulk_orders = OrderBulkRepository(session)
        self.subscriptions = SubscriptionRepository(session)
        self.contacts = ContactRepository(session)
        self.tickets = TicketRepository(session)
        self.profiles = ProfileRepository(session)
        self.shopify = ShopifyRepository(session)
        self.policies = PolicyVersionRepository(session)
        self.desk = DeskRepository(session)
        self.grants = GrantRepository(session)
        self.outcomes = OutcomeRepository(session)
        self.follow_ups = FollowUpRepository(session)
        self.segment_counts = SegmentCountRepository(session)
        self.ticket_history = TicketHistoryRepository(session)
        self.users = UserRepository(session)
        self.api_keys = ApiKeyRepository(session)
        self.web_sessions = SessionRepository(session)
        if self.write:
            self._begin_now(session)
        return self

    def _begin_now(self, session: Session) -> None:
        """Begin the transaction now (waiting for the write lock on SQLite) rather than at the first query."""
        try:
            with domain_errors(session.bind.dialect if session.bind is not None else None):
                session.connection()
        except BaseException:
            self._session = None
            session.close()
            self._release_writer_lock()
            raise

    def _release_writer_lock(self) -> None:
        if self._holding_writer_lock and self._writer_lock is not None:
            self._holding_writer_lock = False
            self._writer_lock.release()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session = self._session
        self._session = None
        if session is None:
            return
        try:
            session.rollback()  # a no-op after commit(); undoes everything otherwise
        except SQLAlchemyError:
            if exc is None:
                raise
            # The connection is already broken; the error that broke it is the one to report.
        finally:
            session.close()
            self._release_writer_lock()
        if isinstance(exc, SQLAlchemyError):
            # No driver error leaves the store: callers see RecordRefused or StoreUnavailable.
            with domain_errors(session.bind.dialect if session.bind is not None else None):
                raise exc

    def commit(self) -> None:
        """Make the work so far permanent; the unit of work stays open for more."""
        session = self._require_session()
        with domain_errors(session.bind.dialect if session.bind is not None else None):
            session.commit()
            refresh_after_commit(session)  # fresh tables get planner statistics (PostgreSQL)

    def rollback(self) -> None:
        """Discard the work since the last commit."""
        self._require_session().rollback()

    def _require_session(self) -> Session:
        if self._session is None:
            raise RuntimeError("use the unit of work inside `with uow:`")
        return self._session


def units_of_work(database_url: str) -> UnitsOfWork:
    """A factory of units of work on `database_url`, migrated to the newest schema first.

    Entrypoints (CLI, API, demo) call this once; several processes may do so at the same time.
    """
    engine = make_engine(database_url)
    upgrade(engine)
    return factory_for(session_factory(engine))


class UnitsOfWork:
    """Makes units of work on one database: `units(write=True)` for a transaction that will write."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        bind = sessions.kw.get("bind")
        on_sqlite = bind is not None and bind.dialect.name == "sqlite"
        # Re-entrant: a thread that opens a second writer keeps today's behaviour (SQLite's own wait).
        self._writer_lock = threading.RLock() if on_sqlite else None

    def __call__(self, *, write: bool = False) -> UnitOfWork:
        return UnitOfWork(self.sessions, write=write, writer_lock=self._writer_lock)


def factory_for(sessions: sessionmaker[Session]) -> UnitsOfWork:
    """The unit-of-work factory on an already migrated database."""
    return UnitsOfWork(sessions)
