"""Past tickets read back for the simulator (`rapport simulate --from-store`), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import update

from rapport.domain import CustomerProfile, Intent, IntentReading, Ticket
from rapport.engine import decide
from rapport.policy import default_policy
from rapport.services.simulation import history_from_store
from rapport.store.models import TicketRecord
from rapport.store.repositories.ticket_history import TicketHistoryRepository
from rapport.store.unit_of_work import UnitOfWork
from store_builders import StoreBuilder

POLICY = default_policy()


def record_ticket(
    uow_factory: Callable[[], UnitOfWork],
    store: StoreBuilder,
    *,
    received_at: datetime,
    intent: Intent = Intent.LATE_DELIVERY,
    email: str = "dana.lee@example.com",
    order_name: str | None = None,
    handled: timedelta | None = None,
) -> int:
    """A triaged ticket as the desk records it; `handled`: from the claim to the first reply."""
    with uow_factory() as uow:
        profile = uow.profiles.get_profile(merchant_id=store.merchant_id, email=email, now=received_at)
        order = (
            uow.orders.find_summary(merchant_id=store.merchant_id, name_or_id=order_name)
            if order_name
            else None
        )
        ticket = Ticket(
            email=email,
            message="My parcel is late.",
            received_at=received_at,
            reading=IntentReading(intent=intent, confidence=0.9, source="model"),
            order=order,
        )
        ticket_id = uow.tickets.record(
            merchant_id=store.merchant_id,
            ticket=ticket,
            decision=decide(ticket, profile, POLICY, received_at),
            profile=profile,
        )
        if handled is not None:
            claimed = received_at + timedelta(minutes=30)
            uow.tickets.session.execute(
                update(TicketRecord)
                .where(TicketRecord.id == ticket_id)
                .values(claimed_at=claimed, first_responded_at=claimed + handled)
            )
        uow.commit()
    return ticket_id


class HistoryUnitOfWork:
    """The store's unit of work with the ticket history attached, as the lead's wiring will do."""

    def __init__(self, inner: UnitOfWork) -> None:
        self.inner = inner

    def __enter__(self) -> Any:
        uow = self.inner.__enter__()
        uow.ticket_history = TicketHistoryRepository(uow.tickets.session)  # type: ignore[attr-defined]
        return uow

    def __exit__(self, *exc: object) -> None:
        self.inner.__exit__(*exc)  # type: ignore[arg-type]


def test_tickets_since_a_date_come_oldest_first_with_their_handling_time(
    uow_factory: Callable[[], UnitOfWork], store: StoreBuilder, now: datetime
) -> None:
    customer = store.customer()
    store.order(customer, name="#1042", fulfillment_status="unfulfilled")
    record_ticket(uow_factory, store, received_at=now - timedelta(days=40))
    record_ticket(
        uow_factory,
        store,
        received_at=now - timedelta(days=2),
        order_name="#1042",
        handled=timedelta(minutes=12),
    )
    record_ticket(uow_factory, store, received_at=now - timedelta(days=5))
    with uow_factory() as uow:
        rows = TicketHistoryRepository(uow.tickets.session).between(
            merchant_id=store.merchant_id, since=now - timedelta(days=30)
        )
    assert [r.received_at for r in rows] == [now - timedelta(days=5), now - timedelta(days=2)]
    assert [r.handled_minutes for r in rows] == [None, 12.0]
    assert rows[1].order_id is not None
    assert (rows[1].intent, rows[1].email) == ("late_delivery", "dana.lee@example.com")


def test_until_excludes_later_tickets(
    uow_factory: Callable[[], UnitOfWork], store: StoreBuilder, now: datetime
) -> None:
    store.customer()
    record_ticket(uow_factory, store, received_at=now - timedelta(days=5))
    record_ticket(uow_factory, store, received_at=now - timedelta(days=1))
    with uow_factory() as uow:
        rows = TicketHistoryRepository(uow.tickets.session).between(
            merchant_id=store.merchant_id, since=now - timedelta(days=30), until=now - timedelta(days=2)
        )
    assert len(rows) == 1


def test_another_merchants_tickets_are_not_read(
    uow_factory: Callable[[], UnitOfWork], store: StoreBuilder, now: datetime
) -> None:
    store.customer()
    record_ticket(uow_factory, store, received_at=now - timedelta(days=1))
    other = StoreBuilder(uow_factory, now=now, merchant="globex")
    with uow_factory() as uow:
        rows = TicketHistoryRepository(uow.tickets.session).between(
            merchant_id=other.merchant_id, since=now - timedelta(days=30)
        )
    assert rows == []


def test_the_store_history_carries_each_customers_profile_and_order_as_of_the_ticket(
    uow_factory: Callable[[], UnitOfWork], store: StoreBuilder, now: datetime
) -> None:
    customer = store.customer()
    store.order(customer, name="#1042", days_ago=20, total="80.00", fulfillment_status="unfulfilled")
    record_ticket(
        uow_factory,
        store,
        received_at=now - timedelta(days=3),
        order_name="#1042",
        handled=timedelta(minutes=9),
    )

    def factory(*, write: bool = False) -> Any:
        return HistoryUnitOfWork(uow_factory())

    history = history_from_store(factory, merchant_id=store.merchant_id, since=now - timedelta(days=30))
    (past,) = history.tickets
    assert isinstance(past.profile, CustomerProfile)
    assert past.profile.orders_count == 1
    assert past.ticket.order is not None
    assert (past.ticket.order.name, past.ticket.order.total) == ("#1042", Decimal("80.00"))
    assert (past.ticket.intent, past.handled_minutes) == (Intent.LATE_DELIVERY, 9.0)


def test_a_linked_order_older_than_the_recent_ones_is_still_the_tickets_order(
    uow_factory: Callable[[], UnitOfWork], store: StoreBuilder, now: datetime
) -> None:
    customer = store.customer()
    store.order(customer, name="#900", days_ago=200, total="310.00")
    for day in range(6):  # six newer orders: the profile's recent orders no longer include #900
        store.order(customer, days_ago=20 + day)
    record_ticket(
        uow_factory,
        store,
        received_at=now - timedelta(days=1),
        intent=Intent.RETURN_REQUEST,
        order_name="#900",
    )

    def factory(*, write: bool = False) -> Any:
        return HistoryUnitOfWork(uow_factory())

    (past,) = history_from_store(
        factory, merchant_id=store.merchant_id, since=now - timedelta(days=30)
    ).tickets
    assert all(o.name != "#900" for o in past.profile.recent_orders)
    assert past.ticket.order is not None
    assert past.ticket.order.name == "#900"
