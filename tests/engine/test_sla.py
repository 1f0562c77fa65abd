"""The first-response clock: due time with pauses, time left, breach; and its properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from rapport.engine.sla import SlaClock, effective_due, is_breached, pause, resume, time_left

DUE = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_a_running_clock_is_due_at_the_decisions_time() -> None:
    assert effective_due(SlaClock(DUE), DUE - HOUR) == DUE


def test_time_left_counts_down_to_the_due_time_and_goes_negative_after() -> None:
    clock = SlaClock(DUE)
    assert time_left(clock, DUE - HOUR) == HOUR
    assert time_left(clock, DUE + HOUR) == -HOUR


def test_closed_pauses_push_the_due_time_back() -> None:
    assert effective_due(SlaClock(DUE, paused_seconds=600), DUE) == DUE + timedelta(minutes=10)


def test_the_current_pause_counts_up_to_now() -> None:
    clock = SlaClock(DUE, paused_since=DUE - HOUR)
    assert effective_due(clock, DUE + HOUR) == DUE + 2 * HOUR
    assert not is_breached(clock, DUE + 5 * HOUR)


def test_an_unanswered_ticket_is_breached_only_after_its_due_time() -> None:
    clock = SlaClock(DUE)
    assert not is_breached(clock, DUE)
    assert is_breached(clock, DUE + timedelta(seconds=1))


def test_an_answer_in_time_is_never_breached_and_has_no_time_left() -> None:
    clock = SlaClock(DUE, first_responded_at=DUE - HOUR)
    assert not is_breached(clock, DUE + 100 * HOUR)
    assert time_left(clock, DUE) is None


def test_an_answer_after_the_due_time_stays_breached() -> None:
    clock = SlaClock(DUE, first_responded_at=DUE + HOUR, paused_seconds=36_000)
    assert is_breached(clock, DUE + 2 * HOUR)


def test_pause_then_resume_adds_the_paused_seconds() -> None:
    paused = pause(SlaClock(DUE, paused_seconds=60), DUE - HOUR)
    assert paused.paused_since == DUE - HOUR
    resumed = resume(paused, DUE - HOUR + timedelta(minutes=30))
    assert resumed == SlaClock(DUE, paused_seconds=60 + 1800)


def test_pausing_a_paused_clock_and_resuming_a_running_one_change_nothing() -> None:
    paused = SlaClock(DUE, paused_since=DUE - HOUR)
    assert pause(paused, DUE) == paused
    running = SlaClock(DUE, paused_seconds=5)
    assert resume(running, DUE) == running


# -- properties --------------------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
)
clocks = st.builds(
    SlaClock,
    first_response_due=instants,
    first_responded_at=st.none() | instants,
    paused_seconds=st.integers(min_value=0, max_value=10 * 86_400),
    paused_since=st.none() | instants,
)


@given(clock=clocks, start=instants, now=instants)
def test_pausing_never_makes_a_ticket_due_earlier(clock: SlaClock, start: datetime, now: datetime) -> None:
    running = resume(clock, start)
    assert effective_due(pause(running, start), now) >= effective_due(running, now)
    assert effective_due(running, now) >= effective_due(SlaClock(clock.first_response_due), now)


@given(clock=clocks, now=instants, later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)))
def test_breach_is_monotone_in_now(clock: SlaClock, now: datetime, later: timedelta) -> None:
    if is_breached(clock, now):
        assert is_breached(clock, now + later)


@given(clock=clocks, start=instants, length=st.integers(min_value=0, max_value=86_400))
def test_a_pause_of_n_seconds_pushes_the_due_time_back_by_n(
    clock: SlaClock, start: datetime, length: int
) -> None:
    running = resume(clock, start)
    end = start + timedelta(seconds=length)
    assert effective_due(resume(pause(running, start), end), end) == effective_due(running, end) + timedelta(
        seconds=length
    )
