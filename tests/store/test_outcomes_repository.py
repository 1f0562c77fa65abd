"""The outcome report's reads from the store, on SQLite and PostgreSQL: one merchant's tickets of a
period with their segment, next order, grants and latest CSAT answer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from outcome_builders import OutcomeBuilder
from rapport.engine.outcomes import TicketFacts
from rapport.store.unit_of_work import UnitOfWork
from store_builders import StoreBuilder


@pytest.fixture
def tickets(uow_factory: Callable[[], UnitOfWork], store: StoreBuilder, now: datetime) -> OutcomeBuilder:
    return OutcomeBuilder(uow_factory, merchant_id=store.merchant_id, now=now)


def facts(
    uow_factory: Callable[[], UnitOfWork], merchant_id: int, **period: datetime | None
) -> dict[int, TicketFacts]:
    with uow_factory() as uow:
        rows = uow.outcomes.ticket_facts(merchant_id=merchant_id, **period)
    return {row.ticket_id: row for row in rows}


def test_a_ticket_comes_back_with_its_segment_queue_and_sla_clock(
    uow_factory: Callable[[], UnitOfWork], store: StoreBuilder, tickets: OutcomeBuilder, now: datetime
) -> None:
    ticket_id = tickets.ticket(segment="loyal", queue="standard", days_ago=5, resolved_in=timedelta(hours=3))
    row = facts(uow_factory, store.merchant_id)[ticket_id]
    received = now - timedelta(days=5)
    assert (row.segment, row.queue) == ("loyal", "standard")
    assert row.received_at == received
    assert row.first_response_due == received + timedelta(hours=1)
    assert row.first_responded_at == received + timedelta(minutes=20)
    assert row.resolved_at == received + timedelta(hours=3)


def test_the_next_order_is_the_customer_s_first_one_after_the_resolution_not_cancelled(
    uow_factory: Callable[[], UnitOfWork], store: StoreBuilder, tickets: OutcomeBuilder, now: datetime
) -> None:
    customer = store.customer()
    ticket_id = tickets.ticket(customer_id=customer, days_ago=60, resolved_in=timedelta(days=1))
    store.order(customer, days_ago=70)  # before the ticket
    store.order(customer, days_ago=50, cancelled_at=now - timedelta(days=49))
    store.order(customer, days_ago=40)
    store.order(customer, days_ago=20)
    row = facts(uow_factory, store.merchant_id)[ticket_id]
    assert row.customer_id == customer
    assert row.next_order_at == now - timedelta(days=40)


def test_an_unresolved_ticket_has_no_next_order(
    uow_factory: Callable[[], UnitOfWork], store: StoreBuilder, tickets: OutcomeBuilder
) -> None:
    customer = store.customer()
    ticket_id = tickets.ticket(customer_id=customer, days_ago=60, resolved_in=None)
    store.order(customer, days_ago=10)
    assert facts(uow_factory, store.merchant_id)[ticket_id].next_order_at is None


def test_grants_are_summed_per_ticket_in_the_policy_currency(
    uow_factory: Callable[[], UnitOfWork], store: StoreBuilder, tickets: OutcomeBuilder
) -> None:
    first, second = tickets.ticket(), tickets.ticket()
    tickets.grant(first, "10.00")
    tickets.grant(first, "2.55")
    tickets.grant(first, None, offer="replacement")  # no amount: adds nothing
    rows = facts(uow_factory, store.merchant_id)
    assert rows[first].granted == Decimal("12.55")
    assert rows[second].granted == Decimal(0)


def test_the_latest_csat_answer_counts_and_a_malformed_one_is_ignored(
    uow_factory: Callable[[], UnitOfWork], store: StoreBuilder, tickets: OutcomeBuilder
) -> None:
    changed, malformed, silent = tickets.ticket(), tickets.ticket(), tickets.ticket()
    tickets.csat(changed, 2, days_ago=3)
    tickets.csat(changed, 5, days_ago=1)
    tickets.csat(malformed, "5")
    tickets.csat(malformed, 9)
    rows = facts(uow_factory, store.merchant_id)
    assert rows[changed].csat == 5
    assert rows[malformed].csat is None
    assert rows[silent].csat is None


def test_only_tickets_received_in_the_period_are_read(
    uow_factory: Callable[[], UnitOfWork], store: StoreBuilder, tickets: OutcomeBuilder, now: datetime
) -> None:
    before, inside, after = (
        tickets.ticket(days_ago=40),
        tickets.ticket(days_ago=20),
        tickets.ticket(days_ago=5),
    )
    rows = facts(
        uow_factory, store.merchant_id, since=now - timedelta(days=30), until=now - timedelta(days=10)
    )
    assert before not in rows
    assert after not in rows
    assert set(rows) == {inside}


def test_another_merchant_s_tickets_grants_and_answers_are_never_read(
    uow_factory: Callable[[], UnitOfWork], store: StoreBuilder, tickets: OutcomeBuilder, now: datetime
) -> None:
    ours = tickets.ticket()
    globex = StoreBuilder(uow_factory, now=now, merchant="globex")
    theirs = OutcomeBuilder(uow_factory, merchant_id=globex.merchant_id, now=now)
    their_ticket = theirs.ticket()
    theirs.grant(their_ticket, "99.00")
    theirs.csat(their_ticket, 1)
    rows = facts(uow_factory, store.merchant_id)
    assert set(rows) == {ours}
    assert rows[ours].granted == Decimal(0)
    assert rows[ours].csat is None
