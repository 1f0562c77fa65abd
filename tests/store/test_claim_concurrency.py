"""Claims and intake under concurrency, on SQLite and PostgreSQL: 50 claimers on 500 tickets each get
different tickets and together get them all; 8 concurrent intakes of 50 messages lose none."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier

import pytest
from sqlalchemy import Engine, func, select

from rapport.domain import Intent, IntentReading
from rapport.domain.desk import Actor, Role, TicketStatus
from rapport.domain.errors import Conflict, StoreUnavailable
from rapport.domain.merchant import Merchant
from rapport.drafting.template_drafter import TemplateDrafter
from rapport.policy import default_policy
from rapport.services.desk.intake import IntakeOutcome, IntakeResult, TicketIntake, take_in
from rapport.services.desk.lifecycle import claim_next
from rapport.services.tenancy import Tenant, brand_of
from rapport.store.database import make_engine, session_factory
from rapport.store.models import DecisionRecord, TicketEvent, TicketRecord, User
from rapport.store.unit_of_work import UnitsOfWork, factory_for

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CLAIMERS = 50
TICKETS = 500

pytestmark = pytest.mark.slow


class DamagedReader:
    def classify(self, text: str) -> IntentReading:
        return IntentReading(intent=Intent.DAMAGED_ITEM, confidence=0.9, source="model")


@pytest.fixture
def wide(engine: Engine, database_url: str) -> Iterator[UnitsOfWork]:
    """Units of work on a pool with a connection for every thread (the migrated database of `engine`)."""
    del engine  # migrated the database
    many = make_engine(database_url, pool_size=CLAIMERS + 5, max_overflow=0)
    yield factory_for(session_factory(many))
    many.dispose()


def tenant_of(uow_factory: UnitsOfWork) -> Tenant:
    with uow_factory() as uow:
        merchant_id = uow.merchants.get_or_create("acme")
        uow.commit()
    policy = default_policy()
    merchant = Merchant(id=merchant_id, slug="acme", currency=policy.currency)
    return Tenant(merchant=merchant, policy=policy, brand=brand_of(policy), policy_version=None)


def open_tickets(uow_factory: UnitsOfWork, tenant: Tenant, count: int) -> set[int]:
    """`count` open tickets in the standard queue, priorities and due times mixed: one through intake,
    the others written directly with a copy of its decision."""
    merchant_id = tenant.merchant.id
    first = post(uow_factory, tenant, "c-first@example.com").view.ticket.id
    with uow_factory.sessions() as session:
        decision = session.scalar(
            select(DecisionRecord.decision_json).where(DecisionRecord.ticket_id == first)
        )
        rows = [
            TicketRecord(
                merchant_id=merchant_id,
                email=f"c{i}@example.com",
                message="chipped",
                received_at=NOW,
                channel="email",
                intent="damaged_item",
                status="open",
                queue="standard",
                priority=i % 7,
                first_response_due=NOW + timedelta(minutes=i % 13),
            )
            for i in range(count - 1)
        ]
        session.add_all(rows)
        session.flush()
        session.add_all(
            DecisionRecord(
                merchant_id=merchant_id,
                ticket_id=row.id,
                created_at=NOW,
                segment="standard",
                queue="standard",
                priority=row.priority,
                offer="refund",
                decision_json=decision,
            )
            for row in rows
        )
        session.commit()
        return {row.id for row in rows} | {first}


def post(uow_factory: UnitsOfWork, tenant: Tenant, email: str, key: str | None = None) -> IntakeResult:
    machine = Actor(merchant_id=tenant.merchant.id, role=Role.AGENT, label="key rk_test")
    return take_in(
        uow_factory,
        tenant=tenant,
        actor=machine,
        classifier=DamagedReader(),
        drafter=TemplateDrafter(),
        intake=TicketIntake(email=email, body="My bowl arrived chipped.", now=NOW, idempotency_key=key),
    )


def agents(uow_factory: UnitsOfWork, merchant_id: int, count: int) -> list[Actor]:
    with uow_factory.sessions() as session:
        users = [
            User(
                merchant_id=merchant_id,
                email=f"agent{i}@acme.test",
                role="agent",
                password_hash="-",
                created_at=NOW,
            )
            for i in range(count)
        ]
        session.add_all(users)
        session.commit()
        return [Actor(merchant_id=merchant_id, role=Role.AGENT, user_id=u.id, label=u.email) for u in users]


def test_fifty_claimers_claim_every_ticket_exactly_once(wide: UnitsOfWork) -> None:
    tenant = tenant_of(wide)
    tickets = open_tickets(wide, tenant, TICKETS)
    people = agents(wide, tenant.merchant.id, CLAIMERS)
    start = Barrier(CLAIMERS)
    retries: list[int | None] = []

    def work(actor: Actor) -> list[tuple[int, int | None]]:
        start.wait()
        taken = []
        while True:
            try:
                view = claim_next(wide, tenant=tenant, actor=actor, queue="standard", now=NOW)
            except Conflict:
                return taken
            except StoreUnavailable:
                # SQLite's busy timeout ran out while 49 others held or waited for the write lock (the
                # API answers 503 and the client tries again): nothing was claimed, so try again.
                retries.append(actor.user_id)
                continue
            taken.append((view.ticket.id, view.ticket.assignee_id))
            assert view.ticket.assignee_id == actor.user_id

    with ThreadPoolExecutor(CLAIMERS) as pool:
        results = list(pool.map(work, people))

    claimed = [ticket_id for taken in results for ticket_id, _ in taken]
    assert len(claimed) == TICKETS
    assert set(claimed) == tickets  # none twice, none left out
    assert sum(1 for taken in results if taken) > 1  # the claimers really ran side by side
    with wide.sessions() as session:
        statuses = Counter(session.scalars(select(TicketRecord.status)))
        events = Counter(session.scalars(select(TicketEvent.ticket_id).where(TicketEvent.kind == "claimed")))
        owners = {
            row[0]: row[1] for row in session.execute(select(TicketRecord.id, TicketRecord.assignee_id))
        }
    assert statuses == {TicketStatus.CLAIMED.value: TICKETS}
    assert set(events.values()) == {1}
    assert len(events) == TICKETS
    assert owners == {ticket_id: owner for taken in results for ticket_id, owner in taken}


def test_concurrent_intake_loses_no_ticket(wide: UnitsOfWork) -> None:
    tenant = tenant_of(wide)
    threads, each = 8, 50
    start = Barrier(threads)

    def intake(thread: int) -> list[int]:
        start.wait()
        ids = []
        for n in range(each):
            result = post(wide, tenant, f"t{thread}-{n}@example.com")
            assert result.outcome is IntakeOutcome.CREATED
            ids.append(result.view.ticket.id)
        return ids

    with ThreadPoolExecutor(threads) as pool:
        ids = [i for batch in pool.map(intake, range(threads)) for i in batch]

    assert len(set(ids)) == threads * each
    with wide.sessions() as session:
        stored = session.scalar(select(func.count()).select_from(TicketRecord))
        created = session.scalar(
            select(func.count()).select_from(TicketEvent).where(TicketEvent.kind == "created")
        )
    assert stored == created == threads * each


def test_concurrent_retries_of_one_idempotency_key_store_one_ticket(wide: UnitsOfWork) -> None:
    tenant = tenant_of(wide)
    threads = 8
    start = Barrier(threads)

    def retry(n: int) -> tuple[IntakeOutcome, int]:
        start.wait()
        result = post(wide, tenant, f"r{n}@example.com", key="same-key")
        return result.outcome, result.view.ticket.id

    with ThreadPoolExecutor(threads) as pool:
        outcomes = list(pool.map(retry, range(threads)))

    assert len({ticket_id for _, ticket_id in outcomes}) == 1
    assert Counter(outcome for outcome, _ in outcomes)[IntakeOutcome.CREATED] == 1
    with wide.sessions() as session:
        assert session.scalar(select(func.count()).select_from(TicketRecord)) == 1
