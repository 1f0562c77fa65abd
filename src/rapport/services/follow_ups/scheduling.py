"""Scheduling follow-ups: stored when a ticket is resolved, cancelled when the customer writes again
or the ticket is reopened. Runs inside the caller's write transaction (the resolve, the intake). When
the ticket's order changes later, `order_changes` moves or cancels them with the same timing rules.

Each rule of the policy's `follow_ups` for the ticket's segment becomes one row, keyed by the rule
(`vip[0]:personal_check_in`): resolving the same ticket again never adds a second one; a row cancelled
by a reopen is scheduled again on the next resolve; a sent one stays sent.
"""

from __future__ import annotations

from datetime import datetime

from rapport.domain.desk_records import DeskTicket
from rapport.domain.follow_ups import FollowUpPlan
from rapport.engine.follow_up_timing import Anchors, due_time
from rapport.policy.schema import FollowUpRule, Policy
from rapport.services.follow_ups.store_port import follow_up_store
from rapport.services.ports import UnitOfWork

DEFAULT_TIME_ZONE = "UTC"
CUSTOMER_WROTE = "the customer wrote again"
REOPENED = "the ticket was reopened"


def plans_for(
    policy: Policy, ticket: DeskTicket, anchors: Anchors, *, time_zone: str | None = None
) -> list[FollowUpPlan]:
    """The follow-ups the policy decides for the resolved `ticket`, with their due times.

    `time_zone` is the customer's; customers carry none in the store today, so the quiet hours'
    `time_zone` (the merchant's default for its customers) is used."""
    key, rules = policy.follow_ups_for(ticket.segment)
    zone = customer_zone(policy, time_zone)
    plans = []
    for index, rule in enumerate(rules):
        timing = due_time(rule, anchors, policy.quiet_hours, zone)
        plans.append(
            FollowUpPlan(
                merchant_id=ticket.merchant_id,
                ticket_id=ticket.id,
                customer_id=ticket.customer_id,
                email=ticket.email,
                rule_key=rule_key(key, index, rule),
                kind=rule.kind,
                channel=rule.channel,
                sender=rule.sender,
                anchor=timing.anchor,
                due_at=timing.due_at,
            )
        )
    return plans


def customer_zone(policy: Policy, time_zone: str | None = None) -> str:
    """The customer's time zone, else the quiet hours' (the merchant's default for its customers)."""
    quiet = policy.quiet_hours
    return time_zone or (quiet.time_zone if quiet is not None else DEFAULT_TIME_ZONE)


def rule_key(key: str, index: int, rule: FollowUpRule) -> str:
    """How a follow-up row names the policy rule it came from: `vip[0]:personal_check_in`."""
    return f"{key}[{index}]:{rule.kind}"


def rule_of(policy: Policy, key: str) -> FollowUpRule | None:
    """The rule `key` names in `policy`, or None when the policy no longer has it (edited since: a
    list shortened, or another kind at that place)."""
    group, _, rest = key.partition("[")
    index, _, kind = rest.partition("]:")
    rules = policy.follow_ups.get(group, [])
    if not index.isdigit() or int(index) >= len(rules):
        return None
    rule = rules[int(index)]
    return rule if rule.kind == kind else None


def schedule_on_resolution(uow: UnitOfWork, *, policy: Policy, ticket: DeskTicket, now: datetime) -> int:
    """Store the resolved ticket's follow-ups (in the resolve's transaction); how many are scheduled."""
    store = follow_up_store(uow)
    if store is None:
        return 0
    facts = store.anchors(merchant_id=ticket.merchant_id, ticket_id=ticket.id)
    anchors = Anchors(resolved_at=now, delivered_at=facts.delivered_at, next_billing_at=facts.next_billing_at)
    return store.schedule(plans_for(policy, ticket, anchors), now=now)


def cancel_on_customer_message(uow: UnitOfWork, *, merchant_id: int, email: str, now: datetime) -> int:
    """The customer wrote again: what was planned to ask them how it went no longer fits."""
    store = follow_up_store(uow)
    if store is None:
        return 0
    return store.cancel_for_customer(merchant_id=merchant_id, email=email, reason=CUSTOMER_WROTE, now=now)


def cancel_on_reopen(uow: UnitOfWork, *, merchant_id: int, ticket_id: int, now: datetime) -> int:
    """The ticket is open again: its follow-ups wait for its next resolution."""
    store = follow_up_store(uow)
    if store is None:
        return 0
    return store.cancel_for_ticket(merchant_id=merchant_id, ticket_id=ticket_id, reason=REOPENED, now=now)
