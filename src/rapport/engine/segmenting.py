"""Choosing the customer's segment: the first segment whose rule holds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rapport.engine.explain import describe_facts
from rapport.engine.rules import matches
from rapport.policy.schema import Policy


@dataclass(frozen=True, slots=True)
class SegmentChoice:
    """The segment, the rule that chose it ("segments[0] vip: ..."), and the explanation."""

    name: str
    rule: str
    explanation: tuple[str, ...]


def choose_segment(policy: Policy, facts: dict[str, Any]) -> SegmentChoice:
    """The first matching segment; a rule that fails to evaluate counts as not matching."""
    notes: list[str] = []
    for index, segment in enumerate(policy.segments):
        outcome = matches(segment.when, facts)
        if outcome.error is not None:
            notes.append(
                f"Segment rule segments[{index}] ({segment.name}) could not be evaluated: "
                f"{outcome.error}; treated as not matching"
            )
            continue
        if outcome.value is True:
            rule = f"segments[{index}] {segment.name}: {segment.when.source}"
            detail = describe_facts(segment.when, facts, policy.currency)
            notes.append(f"Segment {segment.name}: {segment.when.source}{detail}")
            return SegmentChoice(segment.name, rule, tuple(notes))
    # Unreachable with a loaded policy (its last segment matches everyone); kept total anyway.
    last = policy.segments[-1]
    notes.append(f"Segment {last.name}: no segment rule matched, using the last one")
    return SegmentChoice(last.name, f"segments[{len(policy.segments) - 1}] {last.name}", tuple(notes))
