"""The follow-ups repository on SQLite and PostgreSQL: due rows claimed once, even by claimers racing
each other; leases that pass are taken over; a stale claim cannot mark a row; dead rows can be retried."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from threading import Barrier

import pytest
from sqlalchemy import Engine

from follow_up_seeds import DUE, seed_due_follow_ups
from rapport.domain.follow_ups import FollowUpStatus
from rapport.store.database import make_engine, session_factory
from rapport.store.unit_of_work import UnitsOfWork

LEASE = timedelta(minutes=5)


@pytest.fixture
def units(engine: Engine) -> UnitsOfWork:
    return UnitsOfWork(session_factory(engine))


def claim(units: UnitsOfWork, now: datetime = DUE, limit: int = 100) -> list[int]:
    with units(write=True) as uow:
        claimed = uow.follow_ups.claim_due(now=now, lease_until=now + LEASE, limit=limit)
        uow.commit()
    return [c.id for c in claimed]


def statuses(units: UnitsOfWork, merchant_id: int) -> Counter[FollowUpStatus]:
    with units() as uow:
        return Counter(e.status for e in uow.follow_ups.list(merchant_id=merchant_id, limit=100_000))


def test_nothing_is_claimed_before_it_is_due(engine: Engine, units: UnitsOfWork) -> None:
    seed_due_follow_ups(engine, 3)
    assert claim(units, now=DUE - timedelta(seconds=1)) == []


def test_a_due_follow_up_is_claimed_once_with_its_attempt_counted(engine: Engine, units: UnitsOfWork) -> None:
    merchant_id = seed_due_follow_ups(engine, 3)
    first = claim(units)
    assert len(first) == 3
    assert claim(units) == []
    with units() as uow:
        entries = uow.follow_ups.list(merchant_id=merchant_id)
    assert {(e.status, e.attempts, e.next_attempt_at) for e in entries} == {
        (FollowUpStatus.SENDING, 1, DUE + LEASE)
    }


def test_a_claim_whose_lease_has_passed_is_taken_over(engine: Engine, units: UnitsOfWork) -> None:
    seed_due_follow_ups(engine, 2)
    first = claim(units)
    assert claim(units, now=DUE + LEASE) == first


def test_a_stale_claim_cannot_mark_the_row_sent(engine: Engine, units: UnitsOfWork) -> None:
    seed_due_follow_ups(engine, 1)
    [row] = claim(units)
    claim(units, now=DUE + LEASE)  # another worker took it over
    with units(write=True) as uow:
        assert not uow.follow_ups.mark_sent(follow_up_id=row, lease_until=DUE + LEASE, now=DUE + LEASE)
        assert uow.follow_ups.mark_sent(follow_up_id=row, lease_until=DUE + 2 * LEASE, now=DUE + LEASE)
        uow.commit()


def test_an_admin_retry_makes_a_dead_follow_up_due_again(engine: Engine, units: UnitsOfWork) -> None:
    merchant_id = seed_due_follow_ups(engine, 1)
    [row] = claim(units)
    later = DUE + timedelta(hours=1)
    with units(write=True) as uow:
        uow.follow_ups.mark_failed(
            follow_up_id=row, lease_until=DUE + LEASE, error="550 no such user", retry_at=None, now=DUE
        )
        assert uow.follow_ups.retry(merchant_id=merchant_id, follow_up_id=row, now=later)
        uow.commit()
    assert claim(units, now=later) == [row]


def test_another_merchant_cannot_retry_the_follow_up(engine: Engine, units: UnitsOfWork) -> None:
    seed_due_follow_ups(engine, 1)
    other = seed_due_follow_ups(engine, 1, slug="birch")
    [row, _] = claim(units)
    with units(write=True) as uow:
        uow.follow_ups.mark_failed(
            follow_up_id=row, lease_until=DUE + LEASE, error="x", retry_at=None, now=DUE
        )
        assert not uow.follow_ups.retry(merchant_id=other, follow_up_id=row, now=DUE)


@pytest.mark.slow
def test_claimers_racing_each_other_get_every_due_row_exactly_once(engine: Engine, database_url: str) -> None:
    merchant_id = seed_due_follow_ups(engine, 400)
    claimers = 8
    wide = make_engine(database_url, pool_size=claimers + 2, max_overflow=0)
    racing = UnitsOfWork(session_factory(wide))
    start = Barrier(claimers)

    def claim_until_empty(_: int) -> list[int]:
        start.wait()
        mine: list[int] = []
        while batch := claim(racing, limit=7):
            mine.extend(batch)
        return mine

    try:
        with ThreadPoolExecutor(claimers) as pool:
            claimed = [row for rows in pool.map(claim_until_empty, range(claimers)) for row in rows]
    finally:
        wide.dispose()
    assert len(claimed) == 400
    assert len(set(claimed)) == 400
    assert statuses(racing, merchant_id) == Counter({FollowUpStatus.SENDING: 400})
