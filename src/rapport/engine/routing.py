"""Queue, first-response deadline, escalation level and priority of a ticket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rapport.domain.decision import EscalationLevel
from rapport.domain.ticket import Ticket
from rapport.policy.durations import format_duration
from rapport.policy.schema import Policy, Queue

_LEVEL_RANK = {EscalationLevel.AGENT: 0, EscalationLevel.SENIOR: 1, EscalationLevel.MANAGER: 2}


@dataclass(frozen=True, slots=True)
class Routing:
    """Where the ticket goes and how fast."""

    queue: str
    first_response_due: datetime
    escalation_level: EscalationLevel
    priority: int
    explanation: tuple[str, ...]


def route(policy: Policy, segment: str, ticket: Ticket, now: datetime) -> Routing:
    """Route a ticket of `segment`: the queue containing it, its SLA, level and priority."""
    queue = policy.queue_for(segment)
    due = now + queue.first_response
    level, level_note = escalation_level(policy, queue, ticket)
    priority, priority_note = priority_of(policy, queue, ticket)
    notes = [
        f"Queue {queue.name}: first response within {format_duration(queue.first_response)} "
        f"(due {due.isoformat()}), escalates to {queue.escalate_to.value}",
        priority_note,
    ]
    if level_note:
        notes.append(level_note)
    return Routing(queue.name, due, level, priority, tuple(notes))


def escalation_level(policy: Policy, queue: Queue, ticket: Ticket) -> tuple[EscalationLevel, str]:
    """The queue's level, raised to what the ticket's signals demand (never lowered)."""
    level = queue.escalate_to
    reasons: list[str] = []
    for kind in sorted({s.kind for s in ticket.signals}):
        wanted = policy.escalation.signals.get(kind)
        if wanted is not None and _LEVEL_RANK[wanted] > _LEVEL_RANK[queue.escalate_to]:
            reasons.append(f"{kind} needs {wanted.value}")
            if _LEVEL_RANK[wanted] > _LEVEL_RANK[level]:
                level = wanted
    if not reasons:
        return level, ""
    return level, f"Escalation raised to {level.value}: {'; '.join(reasons)}"


def priority_of(policy: Policy, queue: Queue, ticket: Ticket) -> tuple[int, str]:
    """Queue base + urgency bump + one bump per distinct signal kind, with its explanation."""
    base = policy.queue_base(queue)
    urgency = ticket.urgency
    terms = [f"queue {queue.name} base {base}"]
    total = base
    bump = policy.priority.urgency.get(urgency, 0)
    total += bump
    terms.append(f"urgency {urgency.value} {bump:+d}")
    for kind in sorted({s.kind for s in ticket.signals}):
        signal_bump = policy.priority.signals.get(kind, 0)
        if signal_bump:
            total += signal_bump
            terms.append(f"signal {kind} {signal_bump:+d}")
    return total, f"Priority {total}: {', '.join(terms)}"
