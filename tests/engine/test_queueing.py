"""The queueing simulation: exact waits on known arrivals, priorities, staffing and sampled handling times."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.engine.queueing import (
    DEFAULT_HANDLING_MINUTES,
    Arrival,
    fill_handling_times,
    percentile,
    response_stats,
    simulate,
    staffing_for_load,
)


def arrival(at: float, handling: float = 10.0, *, priority: int = 20, queue: str = "standard") -> Arrival:
    return Arrival(queue=queue, at=at, priority=priority, handling=handling)


def test_one_agent_answers_known_arrivals_after_exactly_the_work_ahead_of_them() -> None:
    # 0: starts at once; 5: waits for the first (until 10); 30: the agent is idle again.
    arrivals = [arrival(0, 10), arrival(5, 10), arrival(30, 4)]
    assert simulate(arrivals, {"standard": 1}) == [10.0, 15.0, 4.0]


def test_a_free_agent_takes_the_highest_priority_ticket_waiting() -> None:
    arrivals = [arrival(0, 10), arrival(1, 10, priority=20), arrival(2, 10, priority=60)]
    # At 10 both wait; the urgent one (arrived later) goes first.
    assert simulate(arrivals, {"standard": 1}) == [10.0, 29.0, 18.0]


def test_tickets_of_equal_priority_are_answered_first_come_first_served() -> None:
    arrivals = [arrival(0, 10), arrival(2, 10), arrival(1, 10)]
    assert simulate(arrivals, {"standard": 1}) == [10.0, 28.0, 19.0]


def test_two_agents_work_in_parallel() -> None:
    arrivals = [arrival(0, 10), arrival(0, 10), arrival(0, 10)]
    assert simulate(arrivals, {"standard": 2}) == [10.0, 10.0, 20.0]


def test_queues_do_not_share_agents() -> None:
    arrivals = [arrival(0, 10, queue="priority"), arrival(0, 10, queue="standard")]
    assert simulate(arrivals, {"priority": 1, "standard": 1}) == [10.0, 10.0]


def test_a_queue_without_agents_is_refused() -> None:
    with pytest.raises(ValueError, match="'priority' has no agents"):
        simulate([arrival(0, queue="priority")], {"standard": 3})


arrivals_lists = st.lists(
    st.builds(
        arrival,
        at=st.floats(0, 5_000, allow_nan=False),
        handling=st.floats(0, 120, allow_nan=False),
        priority=st.sampled_from([20, 35, 60, 90]),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(arrivals=arrivals_lists, agents=st.integers(1, 5))
def test_more_agents_never_make_a_ticket_wait_longer_first_come_first_served(
    arrivals: list[Arrival], agents: int
) -> None:
    # Equal priorities: service in arrival order, where an extra agent can only bring each start forward.
    # (With priorities one ticket may wait longer when the order of service changes.)
    same = [arrival(a.at, a.handling) for a in arrivals]
    fewer = simulate(same, {"standard": agents})
    more = simulate(same, {"standard": agents + 1})
    assert all(m <= f + 1e-6 for m, f in zip(more, fewer, strict=True))


@settings(max_examples=200, deadline=None)
@given(arrivals=arrivals_lists, agents=st.integers(1, 5))
def test_no_ticket_is_answered_before_its_own_work_is_done(arrivals: list[Arrival], agents: int) -> None:
    response = simulate(arrivals, {"standard": agents})
    assert all(r >= a.handling - 1e-9 for r, a in zip(response, arrivals, strict=True))


@settings(max_examples=100, deadline=None)
@given(arrivals=arrivals_lists, seed=st.integers(0, 3))
def test_the_simulation_is_the_same_on_every_run(arrivals: list[Arrival], seed: int) -> None:
    assert simulate(arrivals, {"standard": 1 + seed}) == simulate(list(arrivals), {"standard": 1 + seed})


@settings(max_examples=100, deadline=None)
@given(arrivals=arrivals_lists)
def test_enough_agents_answer_every_ticket_without_waiting(arrivals: list[Arrival]) -> None:
    response = simulate(arrivals, {"standard": max(1, len(arrivals))})
    assert response == pytest.approx([a.handling for a in arrivals])


def test_missing_handling_times_are_sampled_from_the_same_intent_and_the_same_for_a_seed() -> None:
    handling = [5.0, None, 30.0, None, None]
    kinds = ["where_is_my_order", "where_is_my_order", "damaged_item", "damaged_item", "feedback"]
    filled = fill_handling_times(handling, kinds, seed=7)
    assert filled[:4] == [5.0, 5.0, 30.0, 30.0]
    assert filled[4] in (5.0, 30.0)  # no feedback ticket has a time: any known one
    assert fill_handling_times(handling, kinds, seed=7) == filled


def test_without_any_known_handling_time_the_default_is_used() -> None:
    assert fill_handling_times([None, None], ["other", "other"], seed=1) == [DEFAULT_HANDLING_MINUTES] * 2


def test_different_seeds_can_sample_different_handling_times() -> None:
    handling: list[float | None] = [float(m) for m in range(1, 50)] + [None] * 20
    kinds = ["other"] * len(handling)
    assert fill_handling_times(handling, kinds, seed=1) != fill_handling_times(handling, kinds, seed=2)


def test_staffing_for_the_load_keeps_agents_at_most_85_percent_busy() -> None:
    day = 24 * 60.0
    # 3 days of 10-minute tickets, 400 a day: 4,000 minutes of work a day is 2.78 agents, 3.27 at 85 %.
    arrivals = [arrival(i * 3 * day / 1200, 10) for i in range(1200)]
    assert staffing_for_load(arrivals) == {"standard": 4}


def test_a_quiet_queue_gets_one_agent() -> None:
    assert staffing_for_load([arrival(0, 10, queue="priority")]) == {"priority": 1}


def test_response_statistics_count_the_tickets_answered_within_their_own_target() -> None:
    stats = response_stats(["a", "a", "a", "b"], [10.0, 50.0, 70.0, 500.0], [60.0, 60.0, 60.0, 480.0])
    assert (stats["a"].tickets, stats["a"].within_target, stats["a"].median, stats["a"].p90) == (
        3,
        2,
        50.0,
        70.0,
    )
    assert stats["b"].attainment == 0.0


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 11)]
    assert (percentile(values, 0.5), percentile(values, 0.9), percentile(values, 1.0)) == (5.0, 9.0, 10.0)
    assert percentile([], 0.5) == 0.0
