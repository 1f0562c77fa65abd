"""Durations as merchants write them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rapport.policy import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("1h", timedelta(hours=1)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
    ],
)
def test_durations_read_minutes_hours_days_and_weeks(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["1", "1y", "h", "-1h", "0h", 5])
def test_anything_else_is_not_a_duration(text: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_durations_are_written_back_in_the_largest_exact_unit() -> None:
    assert [format_duration(timedelta(minutes=m)) for m in (90, 120, 2880, 10080)] == [
        "90m",
        "2h",
        "2d",
        "1w",
    ]
