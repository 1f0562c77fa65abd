"""The job that sends due follow-ups: each sent once under its stable key, failures retried with
backoff until they are dead, dead ones retried by an admin."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from desk_builders import Desk, make_desk
from follow_up_builders import RESOLVED_AT, Clock, RecordingSender, follow_ups_of, resolved, worded
from sqlalchemy import Engine

from follow_up_seeds import DUE, seed_due_follow_ups
from rapport.domain.follow_ups import FollowUpStatus
from rapport.services.follow_ups.jobs import JobSettings, RunReport, message_key, send_all_due, send_due
from rapport.store.unit_of_work import UnitsOfWork

QUICK = JobSettings(batch_size=10, max_attempts=3, retry_base=timedelta(minutes=1))


def run(units: UnitsOfWork, sender: RecordingSender, clock: Clock) -> RunReport:
    return send_all_due(units, senders={"email": sender}, write=worded, clock=clock, settings=QUICK)


def test_a_resolved_tickets_survey_is_sent_when_due_under_its_stable_key(
    uow_factory: UnitsOfWork,
) -> None:
    desk: Desk = make_desk(uow_factory)
    view = resolved(desk)
    sender = RecordingSender()
    assert run(uow_factory, sender, Clock(RESOLVED_AT + timedelta(days=6))).claimed == 0
    report = run(uow_factory, sender, Clock(RESOLVED_AT + timedelta(days=7)))
    [follow_up] = follow_ups_of(uow_factory, desk.tenant.merchant.id, view.ticket.id)
    [message] = sender.sent
    assert (report.sent, follow_up.status, follow_up.sent_at) == (
        1,
        FollowUpStatus.SENT,
        RESOLVED_AT + timedelta(days=7),
    )
    assert message.key == message_key(desk.tenant.merchant.id, follow_up.id)
    assert (message.to_address, message.kind, message.ticket_id) == (
        "lena.novak@example.com",
        "satisfaction_survey",
        view.ticket.id,
    )


def test_a_sent_follow_up_is_never_sent_again(engine: Engine, uow_factory: UnitsOfWork) -> None:
    seed_due_follow_ups(engine, 12)
    sender = RecordingSender()
    run(uow_factory, sender, Clock(DUE))
    run(uow_factory, sender, Clock(DUE + timedelta(days=30)))
    assert len(sender.sent) == 12
    assert len({m.key for m in sender.sent}) == 12


def test_a_retryable_failure_is_tried_again_after_the_backoff(
    engine: Engine, uow_factory: UnitsOfWork
) -> None:
    merchant_id = seed_due_follow_ups(engine, 1)
    sender = RecordingSender(failures=1)
    report = run(uow_factory, sender, Clock(DUE))
    [failed] = follow_ups_of(uow_factory, merchant_id)
    assert (report.retrying, failed.status, failed.next_attempt_at) == (
        1,
        FollowUpStatus.FAILED,
        DUE + timedelta(minutes=1),
    )
    assert failed.last_error == "421 try again later"
    assert run(uow_factory, sender, Clock(DUE + timedelta(seconds=59))).claimed == 0
    assert run(uow_factory, sender, Clock(DUE + timedelta(minutes=1))).sent == 1


def test_a_follow_up_that_keeps_failing_ends_dead_after_the_last_attempt(
    engine: Engine, uow_factory: UnitsOfWork
) -> None:
    merchant_id = seed_due_follow_ups(engine, 1)
    sender = RecordingSender(failures=99)
    for minutes in (0, 1, 3):  # attempts 1, 2, 3: waits of 1 then 2 minutes
        run(uow_factory, sender, Clock(DUE + timedelta(minutes=minutes)))
    [dead] = follow_ups_of(uow_factory, merchant_id)
    assert (dead.status, dead.attempts) == (FollowUpStatus.DEAD, 3)
    assert run(uow_factory, sender, Clock(DUE + timedelta(days=1))).claimed == 0


def test_a_refused_address_is_dead_at_once(engine: Engine, uow_factory: UnitsOfWork) -> None:
    merchant_id = seed_due_follow_ups(engine, 1)
    run(uow_factory, RecordingSender(failures=1, retryable=False), Clock(DUE))
    [dead] = follow_ups_of(uow_factory, merchant_id)
    assert (dead.status, dead.attempts) == (FollowUpStatus.DEAD, 1)


def test_a_channel_without_a_sender_is_dead_and_says_why(engine: Engine, uow_factory: UnitsOfWork) -> None:
    merchant_id = seed_due_follow_ups(engine, 1)
    send_due(uow_factory, senders={}, write=worded, clock=Clock(DUE), settings=QUICK)
    [dead] = follow_ups_of(uow_factory, merchant_id)
    assert dead.status is FollowUpStatus.DEAD
    assert dead.last_error == "no sender for the channel 'email'"


def test_a_follow_up_whose_words_are_refused_is_dead_and_not_sent(
    engine: Engine, uow_factory: UnitsOfWork
) -> None:
    merchant_id = seed_due_follow_ups(engine, 1)
    sender = RecordingSender()

    def promising(_: object) -> tuple[str, str]:
        raise ValueError("mentions '20.00 USD'")

    send_due(uow_factory, senders={"email": sender}, write=promising, clock=Clock(DUE), settings=QUICK)
    [dead] = follow_ups_of(uow_factory, merchant_id)
    assert (dead.status, dead.last_error, sender.sent) == (
        FollowUpStatus.DEAD,
        "not worded: mentions '20.00 USD'",
        [],
    )


def test_a_dead_follow_up_retried_by_an_admin_is_sent(engine: Engine, uow_factory: UnitsOfWork) -> None:
    merchant_id = seed_due_follow_ups(engine, 1)
    run(uow_factory, RecordingSender(failures=1, retryable=False), Clock(DUE))
    [dead] = follow_ups_of(uow_factory, merchant_id)
    later = DUE + timedelta(hours=2)
    with uow_factory(write=True) as uow:
        assert uow.follow_ups.retry(merchant_id=merchant_id, follow_up_id=dead.id, now=later)
        uow.commit()
    sender = RecordingSender()
    run(uow_factory, sender, Clock(later))
    [sent] = follow_ups_of(uow_factory, merchant_id)
    assert (sent.status, len(sender.sent)) == (FollowUpStatus.SENT, 1)


@pytest.mark.slow
def test_two_runners_in_threads_send_each_due_follow_up_once(
    engine: Engine, uow_factory: UnitsOfWork
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    seed_due_follow_ups(engine, 200)
    senders = [RecordingSender(), RecordingSender()]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda s: run(uow_factory, s, Clock(DUE)), senders))
    keys = [m.key for s in senders for m in s.sent]
    assert len(keys) == 200
    assert len(set(keys)) == 200


def test_on_one_connection_per_batch_each_follow_up_is_still_marked_once_sent(
    engine: Engine, uow_factory: UnitsOfWork
) -> None:
    merchant_id = seed_due_follow_ups(engine, 15)
    sender = RecordingSender(failures=1)
    settings = JobSettings(batch_size=10, one_connection_per_batch=True)
    report = send_all_due(
        uow_factory, senders={"email": sender}, write=worded, clock=Clock(DUE), settings=settings
    )
    assert (report.claimed, report.sent, report.retrying) == (15, 14, 1)
    assert Counter(e.status for e in follow_ups_of(uow_factory, merchant_id)) == Counter(
        {FollowUpStatus.SENT: 14, FollowUpStatus.FAILED: 1}
    )
