"""`decide`: the whole treatment of one ticket, pure and explained."""

from __future__ import annotations

from datetime import datetime

from rapport.domain.customer import CustomerProfile
from rapport.domain.decision import Decision, OfferKind
from rapport.domain.ticket import Ticket
from rapport.engine.care import choose_tone, schedule_follow_ups
from rapport.engine.currency import order_money
from rapport.engine.facts import build_facts, granted_last_90d
from rapport.engine.resolution import resolve
from rapport.engine.routing import route
from rapport.engine.segmenting import choose_segment
from rapport.policy.schema import Policy


def decide(ticket: Ticket, profile: CustomerProfile, policy: Policy, now: datetime) -> Decision:
    """Decide segment, queue, priority, resolution (within limits), tone and follow-ups.

    Deterministic: the same inputs give the same decision; time comes only from `now`.
    """
    order = order_money(policy, ticket.order.total, ticket.order.currency) if ticket.order else None
    order_total = order.total_in_policy_currency if order is not None else None
    facts = build_facts(ticket, profile, now, order_total=order_total, policy=policy)
    segment = choose_segment(policy, facts)
    facts["segment"] = segment.name
    routing = route(policy, segment.name, ticket, now)
    resolution = resolve(policy, ticket.intent, segment.name, facts, granted_last_90d(profile), order)
    tone, tone_note = choose_tone(policy, segment.name)
    follow_ups, follow_up_notes = schedule_follow_ups(policy, segment.name, now)
    needs_human, human_note = _needs_human(ticket, policy, resolution.offer.offer)
    reading = ticket.reading
    explanation = (
        f"Intent {ticket.intent.value} (confidence {reading.confidence:.2f}, from {reading.source})",
        *_signal_notes(ticket),
        *segment.explanation,
        *routing.explanation,
        *resolution.explanation,
        tone_note,
        *follow_up_notes,
        *([human_note] if human_note else []),
    )
    return Decision(
        intent=ticket.intent,
        intent_confidence=reading.confidence,
        segment=segment.name,
        segment_rule=segment.rule,
        queue=routing.queue,
        priority=routing.priority,
        first_response_due=routing.first_response_due,
        escalation_level=routing.escalation_level,
        resolution=resolution.offer,
        tone=tone,
        follow_ups=follow_ups,
        explanation=explanation,
        needs_human=needs_human,
    )


def _needs_human(ticket: Ticket, policy: Policy, offer: OfferKind) -> tuple[bool, str]:
    """A person must act when the reading says so, it is too unsure, or the offer escalates."""
    reading = ticket.reading
    if reading.needs_human:
        return True, "Needs a human: the message could not be read with confidence"
    if reading.confidence < policy.escalation.min_confidence:
        return True, (
            f"Needs a human: intent confidence {reading.confidence:.2f} is below "
            f"escalation.min_confidence {policy.escalation.min_confidence:.2f}"
        )
    if offer is OfferKind.ESCALATE:
        return True, "Needs a human: the resolution is an escalation"
    return False, ""


def _signal_notes(ticket: Ticket) -> list[str]:
    """One line naming the urgency and risk signals read in the message, with their evidence."""
    if not ticket.signals:
        return []
    found = "; ".join(f"{s.kind} ({s.evidence!r})" for s in ticket.signals)
    return [f"Signals: {found} -> urgency {ticket.urgency.value}"]
