"""Tone and follow-ups under the default policy."""

from __future__ import annotations

from datetime import timedelta

from engine_builders import NOW, a_customer, a_first_timer, a_subscriber, a_ticket, a_vip

from rapport.domain import FollowUp, Tone
from rapport.engine import decide
from rapport.policy import Policy


def test_vips_get_a_concise_warm_tone(policy: Policy) -> None:
    assert decide(a_ticket(), a_vip(), policy, NOW).tone == Tone("concise_warm", acknowledge_history=True)


def test_first_timers_get_patient_detail_without_history(policy: Policy) -> None:
    tone = decide(a_ticket(), a_first_timer(), policy, NOW).tone
    assert tone == Tone("patient_detailed", acknowledge_history=False)


def test_segments_without_a_tone_get_the_default_one(policy: Policy) -> None:
    assert decide(a_ticket(), a_customer(), policy, NOW).tone.style == "friendly"


def test_a_senior_checks_in_personally_with_a_vip_the_next_day(policy: Policy) -> None:
    follow_ups = decide(a_ticket(), a_vip(), policy, NOW).follow_ups
    assert follow_ups == (
        FollowUp(due_at=NOW + timedelta(days=1), kind="personal_check_in", sender="senior"),
    )


def test_subscribers_get_a_check_in_after_two_days(policy: Policy) -> None:
    follow_ups = decide(a_ticket(), a_subscriber(), policy, NOW).follow_ups
    assert [(f.kind, f.due_at) for f in follow_ups] == [("check_in", NOW + timedelta(days=2))]


def test_everyone_else_gets_a_survey_after_a_week(policy: Policy) -> None:
    follow_ups = decide(a_ticket(), a_customer(), policy, NOW).follow_ups
    assert [(f.kind, f.due_at) for f in follow_ups] == [("satisfaction_survey", NOW + timedelta(days=7))]
