"""The policy's `quiet_hours` and a follow-up rule's `relative_to`: read as written, errors by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from rapport.policy import PolicyError
from rapport.policy.loading import parse_policy

DEFAULT = (
    Path(__file__).resolve().parents[2] / "src" / "rapport" / "policy" / "default_policy.yaml"
).read_text()
LAST_LINE = DEFAULT.count("\n") + 1


def test_quiet_hours_are_read_with_their_time_zone() -> None:
    policy = parse_policy(
        DEFAULT + 'quiet_hours: {from: "21:00", to: "08:00", time_zone: Europe/Paris}\n', "p.yaml"
    )
    assert policy.quiet_hours is not None
    assert (policy.quiet_hours.start, policy.quiet_hours.end, policy.quiet_hours.time_zone) == (
        "21:00",
        "08:00",
        "Europe/Paris",
    )


def test_an_unknown_time_zone_is_an_error_naming_the_line_and_field() -> None:
    with pytest.raises(PolicyError) as error:
        parse_policy(DEFAULT + 'quiet_hours: {from: "21:00", to: "08:00", time_zone: Mars/Base}\n', "p.yaml")
    assert f"p.yaml:{LAST_LINE}: quiet_hours.time_zone: unknown time zone 'Mars/Base'" in str(error.value)


def test_a_clock_time_without_two_digit_hours_is_an_error_naming_the_field() -> None:
    with pytest.raises(PolicyError) as error:
        parse_policy(DEFAULT + 'quiet_hours: {from: "21:00", to: "8:00"}\n', "p.yaml")
    assert f"p.yaml:{LAST_LINE}: quiet_hours.to:" in str(error.value)


def test_quiet_hours_that_start_when_they_end_are_refused() -> None:
    with pytest.raises(PolicyError) as error:
        parse_policy(DEFAULT + 'quiet_hours: {from: "08:00", to: "08:00"}\n', "p.yaml")
    assert f"p.yaml:{LAST_LINE}: quiet_hours.to: from and to are the same time" in str(error.value)


def test_a_follow_up_rule_may_count_from_the_next_billing_date() -> None:
    text = DEFAULT.replace(
        "subscriber: [{after: 2d, kind: check_in}]",
        "subscriber: [{after: 1d, kind: check_in, relative_to: next_billing}]",
    )
    policy = parse_policy(text, "p.yaml")
    assert policy.follow_ups["subscriber"][0].relative_to == "next_billing"


def test_an_unknown_anchor_is_an_error_naming_the_field() -> None:
    text = DEFAULT.replace(
        "subscriber: [{after: 2d, kind: check_in}]",
        "subscriber: [{after: 1d, kind: check_in, relative_to: payday}]",
    )
    with pytest.raises(PolicyError) as error:
        parse_policy(text, "p.yaml")
    line = 1 + next(
        n for n, text in enumerate(DEFAULT.splitlines()) if text.strip().startswith("subscriber: [{after")
    )
    assert f"p.yaml:{line}: follow_ups.subscriber[0].relative_to: Input should be" in str(error.value)
