"""The outcome figures on hand-computed examples, and their invariants on random tickets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from rapport.engine.outcomes import (
    SlaOutcome,
    TicketFacts,
    outcomes,
    reordered_within,
    sla_outcome,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
RECEIVED = NOW - timedelta(days=100)


def ticket(
    *,
    segment: str = "vip",
    queue: str = "priority",
    due: float | None = 60,
    answered: float | None = 20,
    resolved: float | None = None,
    customer_id: int | None = 1,
    next_order_days: float | None = None,
    granted: str = "0",
    csat: int | None = None,
    received: datetime = RECEIVED,
) -> TicketFacts:
    """A ticket received at `received`; due, answered and resolved that many minutes later."""

    def later(minutes: float | None) -> datetime | None:
        return None if minutes is None else received + timedelta(minutes=minutes)

    resolved_at = later(resolved)
    next_order = (
        None
        if next_order_days is None or resolved_at is None
        else resolved_at + timedelta(days=next_order_days)
    )
    return TicketFacts(
        ticket_id=1,
        segment=segment,
        queue=queue,
        received_at=received,
        first_response_due=later(due),
        first_responded_at=later(answered),
        resolved_at=resolved_at,
        customer_id=customer_id,
        next_order_at=next_order,
        granted=Decimal(granted),
        csat=csat,
    )


def test_a_first_reply_by_the_due_time_meets_the_sla() -> None:
    assert sla_outcome(ticket(due=60, answered=60), NOW) is SlaOutcome.MET


def test_a_first_reply_after_the_due_time_misses_the_sla() -> None:
    assert sla_outcome(ticket(due=60, answered=61), NOW) is SlaOutcome.MISSED


def test_an_unanswered_ticket_past_its_due_time_has_missed_the_sla() -> None:
    assert sla_outcome(ticket(due=60, answered=None), NOW) is SlaOutcome.MISSED


def test_an_unanswered_ticket_not_yet_due_is_pending() -> None:
    fresh = ticket(due=60, answered=None, received=NOW - timedelta(minutes=10))
    assert sla_outcome(fresh, NOW) is SlaOutcome.PENDING


def test_a_ticket_without_a_due_time_is_counted_apart() -> None:
    assert sla_outcome(ticket(due=None), NOW) is SlaOutcome.NO_DUE_TIME


def test_an_order_within_the_window_after_the_resolution_is_a_reorder() -> None:
    assert reordered_within(ticket(resolved=120, next_order_days=29), 30, NOW) is True
    assert reordered_within(ticket(resolved=120, next_order_days=31), 30, NOW) is False


def test_a_resolution_whose_window_has_not_ended_is_not_counted() -> None:
    recent = ticket(resolved=0, next_order_days=1, received=NOW - timedelta(days=10))
    assert reordered_within(recent, 30, NOW) is None


def test_unresolved_tickets_and_guests_are_not_counted_for_reorders() -> None:
    assert reordered_within(ticket(resolved=None), 30, NOW) is None
    assert reordered_within(ticket(resolved=60, customer_id=None), 30, NOW) is None


def test_the_figures_of_a_group_are_those_computed_by_hand() -> None:
    tickets = [
        ticket(answered=10, resolved=100, granted="10.00", csat=5, next_order_days=10),
        ticket(answered=30, resolved=300, granted="5.50", csat=3, next_order_days=60),
        ticket(answered=90, resolved=None, granted="0", csat=None),
        ticket(due=None, answered=50, resolved=200, next_order_days=None),
    ]
    group = outcomes(tickets, now=NOW).segments["vip"]
    assert group.tickets == 4
    assert group.sla == {
        SlaOutcome.MET: 2,
        SlaOutcome.MISSED: 1,
        SlaOutcome.PENDING: 0,
        SlaOutcome.NO_DUE_TIME: 1,
    }
    assert group.attainment == 2 / 3
    assert (group.first_response_median, group.first_response_p90) == (30, 90)  # of 10, 30, 50, 90
    assert group.resolution_median == 200  # of 100, 200, 300
    assert group.granted == Decimal("15.50")
    assert group.granted_per_ticket == Decimal("3.88")  # 15.50 / 4, half up
    assert (group.csat_mean, group.csat.counted) == (4.0, 2)
    assert (group.reorders[30].hits, group.reorders[30].counted) == (1, 3)
    assert (group.reorders[90].hits, group.reorders[90].counted) == (2, 3)


def test_tickets_are_grouped_by_segment_and_by_queue_with_the_biggest_first() -> None:
    tickets = [
        ticket(segment="vip", queue="priority"),
        ticket(segment="standard", queue="standard"),
        ticket(segment="standard", queue="priority"),
    ]
    report = outcomes(tickets, now=NOW)
    assert list(report.segments) == ["standard", "vip"]
    assert list(report.queues) == ["priority", "standard"]
    assert report.total.tickets == 3


def test_a_group_with_nothing_to_measure_has_no_figures_rather_than_zeros() -> None:
    group = outcomes([ticket(due=None, answered=None)], now=NOW).total
    assert group.attainment is None
    assert group.first_response_median is None
    assert group.csat_mean is None
    assert group.reorders[30].share is None


facts = st.builds(
    ticket,
    due=st.none() | st.floats(0, 10_000),
    answered=st.none() | st.floats(0, 10_000),
    resolved=st.none() | st.floats(0, 10_000),
    customer_id=st.none() | st.just(1),
    next_order_days=st.none() | st.floats(0, 200),
    csat=st.none() | st.integers(1, 5),
    received=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2026, 11, 20), timezones=st.just(UTC)
    ),
)


@given(st.lists(facts, max_size=40))
def test_attainment_and_reorder_rates_are_shares_and_p90_is_never_below_the_median(
    tickets: list[TicketFacts],
) -> None:
    group = outcomes(tickets, now=NOW).total
    for share in (group.attainment, group.reorders[30].share, group.reorders[90].share):
        assert share is None or 0 <= share <= 1
    if group.first_response_median is not None:
        assert group.first_response_p90 is not None
        assert group.first_response_p90 >= group.first_response_median
    answers = [t.csat for t in tickets if t.csat is not None]
    assert (group.csat.hits, group.csat.counted) == (sum(answers), len(answers))
    assert sum(group.sla.values()) == group.tickets
