"""One transaction and its repositories: `with uow: ...; uow.commit()`; anything uncommitted rolls back."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from rapport.store.repositories import (
    ContactRepository,
    CustomerRepository,
    MerchantRepository,
    OrderRepository,
    ProfileRepository,
    SubscriptionRepository,
    TicketRepository,
)


class UnitOfWork:
    """Opens a session on `with`, exposes the repositories, rolls back whatever was not committed."""

    merchants: MerchantRepository
    customers: CustomerRepository
    orders: OrderRepository
    subscriptions: SubscriptionRepository
    contacts: ContactRepository
    tickets: TicketRepository
    profiles: ProfileRepository

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None

    def __enter__(self) -> UnitOfWork:
        if self._session is not None:
            raise RuntimeError("this unit of work is already open; make one per transaction")
        session = self._session_factory()
        self._session = session
        self.merchants = MerchantRepository(session)
        self.customers = CustomerRepository(session)
        self.orders = OrderRepository(session)
        self.subscriptions = SubscriptionRepository(session)
        self.contacts = ContactRepository(session)
        self.tickets = TicketRepository(session)
        self.profiles = ProfileRepository(session)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session = self._session
        self._session = None
        if session is None:
            return
        try:
            session.rollback()  # a no-op after commit(); undoes everything otherwise
        finally:
            session.close()

    def commit(self) -> None:
        """Make the work so far permanent; the unit of work stays open for more."""
        self._require_session().commit()

    def rollback(self) -> None:
        """Discard the work since the last commit."""
        self._require_session().rollback()

    def _require_session(self) -> Session:
        if self._session is None:
            raise RuntimeError("use the unit of work inside `with uow:`")
        return self._session
