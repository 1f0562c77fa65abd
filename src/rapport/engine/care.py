"""How the reply sounds and what happens after it: tone and follow-ups per segment."""

from __future__ import annotations

from datetime import datetime

from rapport.domain.decision import FollowUp, Tone
from rapport.policy.durations import format_duration
from rapport.policy.schema import Policy


def choose_tone(policy: Policy, segment: str) -> tuple[Tone, str]:
    """The segment's tone (else the default one) and the line explaining it."""
    key, rule = policy.tone_for(segment)
    tone = Tone(style=rule.style, acknowledge_history=rule.acknowledge_history)
    history = "acknowledging history" if tone.acknowledge_history else "not mentioning history"
    return tone, f"Tone {tone.style}, {history} (tone.{key})"


def schedule_follow_ups(
    policy: Policy, segment: str, now: datetime
) -> tuple[tuple[FollowUp, ...], list[str]]:
    """The segment's follow-ups (else the default ones), due `after` from `now`."""
    key, rules = policy.follow_ups_for(segment)
    follow_ups = tuple(
        FollowUp(due_at=now + rule.after, kind=rule.kind, channel=rule.channel, sender=rule.sender)
        for rule in rules
    )
    notes = [
        f"Follow-up {rule.kind} from {rule.sender} after {format_duration(rule.after)} (follow_ups.{key})"
        for rule in rules
    ]
    return follow_ups, notes
