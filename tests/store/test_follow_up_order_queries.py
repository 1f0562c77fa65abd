"""The follow-ups repository's part in order changes: the pending follow-ups of some orders in one query
(with each order as stored), a move that only a scheduled row takes, cancelling by id within a merchant."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Connection, Engine, Executable, event, insert

from rapport.domain.follow_ups import FollowUpStatus
from rapport.store.database import session_factory
from rapport.store.models import FollowUpRecord, Merchant, Order, TicketRecord, table_of
from rapport.store.unit_of_work import UnitsOfWork

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DUE = NOW + timedelta(days=3)


@pytest.fixture
def units(engine: Engine) -> UnitsOfWork:
    return UnitsOfWork(session_factory(engine))


@dataclass
class Seeded:
    merchant_id: int
    follow_ups: dict[str, int]  # "<order>:<status>" -> follow-up id


def seed(engine: Engine, slug: str, orders: dict[str, str], statuses: tuple[str, ...]) -> Seeded:
    """For each order (external id -> fulfillment status) a resolved ticket about it, with one follow-up
    in each of `statuses`."""
    ids: dict[str, int] = {}
    with engine.begin() as connection:
        merchant_id = _new_id(
            connection, insert(Merchant).values(slug=slug, name=slug, currency="USD").returning(Merchant.id)
        )
        for external_id, fulfillment in orders.items():
            order_id = _order(connection, merchant_id, external_id, fulfillment)
            ticket_id = _new_id(
                connection,
                insert(TicketRecord)
                .values(**_ticket(merchant_id, order_id, f"{external_id}@example.com"))
                .returning(TicketRecord.id),
            )
            for n, status in enumerate(statuses):
                ids[f"{external_id}:{status}"] = _new_id(
                    connection,
                    insert(table_of(FollowUpRecord))
                    .values(**_follow_up(merchant_id, ticket_id, f"default[{n}]:check_in", status))
                    .returning(table_of(FollowUpRecord).c.id),
                )
    return Seeded(merchant_id, ids)


def _new_id(connection: Connection, statement: Executable) -> int:
    return int(connection.execute(statement).scalar_one())


def _order(connection: Connection, merchant_id: int, external_id: str, fulfillment: str) -> int:
    return _new_id(
        connection,
        insert(Order)
        .values(
            merchant_id=merchant_id,
            external_id=external_id,
            name=f"#{external_id}",
            created_at=NOW - timedelta(days=2),
            total=Decimal("50.00"),
            currency="USD",
            financial_status="paid",
            fulfillment_status=fulfillment,
        )
        .returning(Order.id),
    )


def _ticket(merchant_id: int, order_id: int, email: str) -> dict[str, object]:
    return {
        "merchant_id": merchant_id,
        "email": email,
        "message": "Where is my parcel?",
        "received_at": NOW,
        "channel": "email",
        "intent": "where_is_my_order",
        "status": "resolved",
        "resolved_at": NOW,
        "order_id": order_id,
    }


def _follow_up(merchant_id: int, ticket_id: int, rule_key: str, status: str) -> dict[str, object]:
    return {
        "merchant_id": merchant_id,
        "ticket_id": ticket_id,
        "email": "lena@example.com",
        "rule_key": rule_key,
        "kind": "check_in",
        "channel": "email",
        "sender": "agent",
        "anchor": "resolution",
        "due_at": DUE,
        "status": status,
        "attempts": 0,
        "next_attempt_at": DUE,
        "created_at": NOW,
        "updated_at": NOW,
    }


ALL_STATUSES = tuple(s.value for s in FollowUpStatus)


def test_the_pending_follow_ups_of_the_named_orders_come_with_each_order_as_stored(
    engine: Engine, units: UnitsOfWork
) -> None:
    acme = seed(engine, "acme", {"1042": "unfulfilled", "1043": "delivered"}, ALL_STATUSES)
    with units() as uow:
        found = uow.follow_ups.pending_for_orders(merchant_id=acme.merchant_id, order_external_ids=["1042"])
    assert {(f.id, f.status) for f in found} == {
        (acme.follow_ups["1042:scheduled"], FollowUpStatus.SCHEDULED),
        (acme.follow_ups["1042:failed"], FollowUpStatus.FAILED),
    }
    assert {
        (f.order_external_id, f.fulfillment_status, f.financial_status, f.resolved_at) for f in found
    } == {("1042", "unfulfilled", "paid", NOW)}


def test_another_merchants_order_with_the_same_id_is_not_read(engine: Engine, units: UnitsOfWork) -> None:
    acme = seed(engine, "acme", {"1042": "unfulfilled"}, ("scheduled",))
    seed(engine, "birch", {"1042": "unfulfilled"}, ("scheduled",))
    with units() as uow:
        found = uow.follow_ups.pending_for_orders(merchant_id=acme.merchant_id, order_external_ids=["1042"])
    assert [f.id for f in found] == [acme.follow_ups["1042:scheduled"]]


def test_a_move_retimes_a_scheduled_follow_up_and_its_next_attempt(
    engine: Engine, units: UnitsOfWork
) -> None:
    acme = seed(engine, "acme", {"1042": "delivered"}, ("scheduled",))
    row = acme.follow_ups["1042:scheduled"]
    later = DUE + timedelta(days=1)
    with units(write=True) as uow:
        assert uow.follow_ups.move(follow_up_id=row, anchor="delivery", due_at=later, now=NOW)
        uow.commit()
    with units() as uow:
        entry = uow.follow_ups.get(merchant_id=acme.merchant_id, follow_up_id=row)
    assert entry is not None
    assert (entry.anchor, entry.due_at, entry.next_attempt_at) == ("delivery", later, later)


@pytest.mark.parametrize("status", ["sending", "sent", "failed", "dead", "cancelled"])
def test_a_move_leaves_a_follow_up_that_is_not_scheduled_alone(
    engine: Engine, units: UnitsOfWork, status: str
) -> None:
    acme = seed(engine, "acme", {"1042": "delivered"}, (status,))
    row = acme.follow_ups[f"1042:{status}"]
    with units(write=True) as uow:
        assert not uow.follow_ups.move(
            follow_up_id=row, anchor="delivery", due_at=DUE + timedelta(1), now=NOW
        )
        uow.commit()
    with units() as uow:
        entry = uow.follow_ups.get(merchant_id=acme.merchant_id, follow_up_id=row)
    assert entry is not None
    assert (entry.due_at, entry.status) == (DUE, FollowUpStatus(status))


def test_cancelling_by_id_records_the_reason_and_skips_what_is_not_pending(
    engine: Engine, units: UnitsOfWork
) -> None:
    acme = seed(engine, "acme", {"1042": "unfulfilled"}, ("scheduled", "failed", "sent"))
    with units(write=True) as uow:
        cancelled = uow.follow_ups.cancel_ids(
            merchant_id=acme.merchant_id, follow_up_ids=list(acme.follow_ups.values()), reason="gone", now=NOW
        )
        uow.commit()
    assert cancelled == 2
    with units() as uow:
        entries = uow.follow_ups.list(merchant_id=acme.merchant_id)
    assert sorted((e.status.value, e.cancelled_reason) for e in entries) == [
        ("cancelled", "gone"),
        ("cancelled", "gone"),
        ("sent", None),
    ]


def test_cancelling_by_id_leaves_another_merchants_follow_ups_alone(
    engine: Engine, units: UnitsOfWork
) -> None:
    acme = seed(engine, "acme", {"1042": "unfulfilled"}, ("scheduled",))
    birch = seed(engine, "birch", {"1042": "unfulfilled"}, ("scheduled",))
    with units(write=True) as uow:
        ids = [birch.follow_ups["1042:scheduled"]]
        assert (
            uow.follow_ups.cancel_ids(merchant_id=acme.merchant_id, follow_up_ids=ids, reason="x", now=NOW)
            == 0
        )
        uow.commit()


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[tuple[str, object]]]:
    seen: list[tuple[str, object]] = []

    def record(conn: object, cursor: object, statement: str, parameters: object, *args: object) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_the_pending_follow_ups_of_many_orders_are_read_in_one_query(
    engine: Engine, units: UnitsOfWork, statements: list[tuple[str, object]]
) -> None:
    orders = {str(n): "unfulfilled" for n in range(1000, 1200)}
    acme = seed(engine, "acme", orders, ("scheduled",))
    statements.clear()
    with units() as uow:
        found = uow.follow_ups.pending_for_orders(
            merchant_id=acme.merchant_id, order_external_ids=list(orders)
        )
    assert len(found) == 200
    assert len([s for s, _ in statements if s.lstrip().upper().startswith("SELECT")]) == 1


def test_on_sqlite_the_query_starts_from_the_pending_follow_ups_not_from_the_orders(
    engine: Engine, units: UnitsOfWork, statements: list[tuple[str, object]]
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan (PostgreSQL's depends on its statistics)")
    acme = seed(engine, "acme", {str(n): "unfulfilled" for n in range(1000, 1300)}, ("sent",))
    statements.clear()
    with units() as uow:
        uow.follow_ups.pending_for_orders(merchant_id=acme.merchant_id, order_external_ids=["1042"])
    [(sql, parameters)] = [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")]
    with engine.connect() as connection:
        plan = [row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters)]  # type: ignore[arg-type]
    # The outer loop is the pending follow-ups on the (status, next_attempt_at) index; the rest by key.
    assert plan[0].startswith("SEARCH follow_ups USING INDEX ix_follow_ups_status_next_attempt_at"), plan
    assert not any(step.startswith("SCAN") for step in plan), plan
