"""Due times of follow-ups: counted from their anchor, moved out of the quiet hours in local time;
retries wait longer each time, up to a cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rapport.engine.follow_up_timing import Anchors, due_time, outside_quiet_hours, retry_delay
from rapport.policy.schema import FollowUpRule, QuietHours

RESOLVED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NIGHT = QuietHours.model_validate({"from": "21:00", "to": "08:00", "time_zone": "Europe/Paris"})
LUNCH = QuietHours.model_validate({"from": "12:00", "to": "14:00", "time_zone": "Europe/Paris"})


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_time_outside_the_quiet_hours_stays_as_it_is() -> None:
    assert outside_quiet_hours(at("2026-11-20T10:00:00+00:00"), NIGHT, "Europe/Paris") == at(
        "2026-11-20T10:00:00+00:00"
    )


def test_a_late_evening_moves_to_the_next_morning_in_the_customers_zone() -> None:
    # 22:30 UTC is 23:30 in Paris: the next day's 08:00 Paris is 07:00 UTC.
    assert outside_quiet_hours(at("2026-11-20T22:30:00+00:00"), NIGHT, "Europe/Paris") == at(
        "2026-11-21T07:00:00+00:00"
    )


def test_an_early_morning_moves_to_the_same_mornings_end_of_the_quiet_hours() -> None:
    assert outside_quiet_hours(at("2026-11-21T04:00:00+00:00"), NIGHT, "Europe/Paris") == at(
        "2026-11-21T07:00:00+00:00"
    )


def test_quiet_hours_within_one_day_move_to_their_end() -> None:
    assert outside_quiet_hours(at("2026-11-20T11:30:00+00:00"), LUNCH, "Europe/Paris") == at(
        "2026-11-20T13:00:00+00:00"
    )


def test_the_same_instant_is_quiet_in_one_zone_and_not_in_another() -> None:
    when = at("2026-11-20T06:00:00+00:00")  # 07:00 in Paris, 22:00 the evening before in Los Angeles
    assert outside_quiet_hours(when, NIGHT, "Europe/Paris") == at("2026-11-20T07:00:00+00:00")
    assert outside_quiet_hours(when, NIGHT, "America/Los_Angeles") == at("2026-11-20T16:00:00+00:00")


def test_the_end_of_the_quiet_hours_follows_the_summer_time_change() -> None:
    # The night of 28-29 March 2026 Paris moves to UTC+2: 08:00 on the 29th is 06:00 UTC.
    assert outside_quiet_hours(at("2026-03-28T23:00:00+00:00"), NIGHT, "Europe/Paris") == at(
        "2026-03-29T06:00:00+00:00"
    )


def test_without_quiet_hours_the_due_time_is_the_anchor_plus_after() -> None:
    rule = FollowUpRule(after=timedelta(days=7), kind="satisfaction_survey")
    timing = due_time(rule, Anchors(resolved_at=RESOLVED), None, "UTC")
    assert (timing.anchor, timing.due_at) == ("resolution", RESOLVED + timedelta(days=7))


def test_a_delivery_after_the_resolution_is_the_anchor_of_a_delivery_rule() -> None:
    rule = FollowUpRule(after=timedelta(days=2), kind="check_in", relative_to="delivery")
    delivered = RESOLVED + timedelta(days=3)
    timing = due_time(rule, Anchors(resolved_at=RESOLVED, delivered_at=delivered), None, "UTC")
    assert (timing.anchor, timing.due_at) == ("delivery", delivered + timedelta(days=2))


def test_a_delivery_before_the_resolution_is_not_an_anchor() -> None:
    rule = FollowUpRule(after=timedelta(days=2), kind="check_in", relative_to="delivery")
    old = RESOLVED - timedelta(days=9)  # the original parcel, not the replacement
    timing = due_time(rule, Anchors(resolved_at=RESOLVED, delivered_at=old), None, "UTC")
    assert (timing.anchor, timing.due_at) == ("resolution", RESOLVED + timedelta(days=2))


def test_retries_wait_twice_as_long_each_time() -> None:
    delays = [retry_delay(n, base=timedelta(minutes=1)) for n in (1, 2, 3, 4)]
    assert delays == [timedelta(minutes=m) for m in (1, 2, 4, 8)]


def test_retries_never_wait_longer_than_the_cap() -> None:
    assert retry_delay(40, base=timedelta(minutes=1), cap=timedelta(hours=6)) == timedelta(hours=6)
