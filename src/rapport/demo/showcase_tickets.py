"""The showcase's tickets at the desk: each message stored as a ticket, claimed by someone who may take
it, answered with the decision's offer granted, and resolved, through the desk's own services (`take_in`,
`claim`, `reply`, `resolve`), so the follow-ups their resolution schedules are the real ones: what the
policy says for each customer's segment, in the store, for the worker to send.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from rapport.bootstrap import Rapport, follow_up_units
from rapport.demo.history import answer_with_grant, handler_for
from rapport.domain.desk import Actor, Role, TicketStatus
from rapport.domain.follow_ups import FollowUpEntry
from rapport.policy.schema import Policy
from rapport.services.desk.intake import TicketIntake, take_in
from rapport.services.desk.lifecycle import TicketView, claim, resolve
from rapport.services.follow_ups.admin import list_follow_ups
from rapport.services.follow_ups.scheduling import customer_zone as scheduling_zone

# How long after its arrival the desk takes each step (within the priority queue's 1 h target).
CLAIMED_AFTER = timedelta(minutes=5)
ANSWERED_AFTER = timedelta(minutes=20)
RESOLVED_AFTER = timedelta(minutes=35)


@dataclass(frozen=True, slots=True)
class ScheduledFollowUp:
    """One follow-up the resolution stored: its kind, who sends it, when it is due (UTC) and where it
    stands."""

    entry: FollowUpEntry
    sender: str
    zone: ZoneInfo  # the customer's

    @property
    def kind(self) -> str:
        return self.entry.kind

    @property
    def due_at(self) -> datetime:
        return self.entry.due_at

    @property
    def due_local(self) -> datetime:
        return self.entry.due_at.astimezone(self.zone)


@dataclass(frozen=True, slots=True)
class ResolvedTicket:
    """A showcase ticket as the desk left it: resolved (or waiting for someone the demo's staff is not),
    and the follow-ups in the store for it."""

    label: str
    email: str
    view: TicketView
    handler: str | None  # who resolved it; None when nobody of the staff may take it
    follow_ups: tuple[ScheduledFollowUp, ...]

    @property
    def resolved(self) -> bool:
        return self.view.ticket.status is TicketStatus.RESOLVED


def handle_showcase(
    app: Rapport,
    staff: dict[Role, Actor],
    tickets: list[tuple[str, str, str]],
    *,
    arrived: datetime,
) -> list[ResolvedTicket]:
    """Each (label, e-mail, message) taken in at `arrived` and handled in the minutes after."""
    help_desk = Actor(merchant_id=app.merchant.id, role=Role.AGENT, label="demo help desk")
    return [
        _handle(app, help_desk, staff, label, email, message, arrived) for label, email, message in tickets
    ]


def _handle(
    app: Rapport,
    help_desk: Actor,
    staff: dict[Role, Actor],
    label: str,
    email: str,
    message: str,
    arrived: datetime,
) -> ResolvedTicket:
    tenant = app.tenant(app.merchant.id)
    # Not the serve desk's key (`demo-{email}`): its morning tickets are new messages, not retries.
    intake = TicketIntake(
        email=email, body=message, now=arrived, idempotency_key=f"demo-showcase-{label}-{email}"
    )
    view = take_in(
        app.uow_factory,
        tenant=tenant,
        actor=help_desk,
        classifier=app.classifier,
        drafter=app.drafter,
        intake=intake,
    ).view
    ticket = view.ticket
    actor = handler_for(staff, ticket.claim_level)
    if actor is None:  # e.g. a chargeback threat: it waits for a manager
        return ResolvedTicket(label, email, view, None, ())
    claim(app.uow_factory, tenant=tenant, actor=actor, ticket_id=ticket.id, now=arrived + CLAIMED_AFTER)
    answer_with_grant(app, actor, view, arrived + ANSWERED_AFTER)
    view = resolve(
        app.uow_factory, tenant=tenant, actor=actor, ticket_id=ticket.id, now=arrived + RESOLVED_AFTER
    )
    return ResolvedTicket(label, email, view, actor.label, _scheduled(app, view))


def _scheduled(app: Rapport, view: TicketView) -> tuple[ScheduledFollowUp, ...]:
    """The ticket's follow-ups as stored, with the sender of the policy rule each comes from (the
    admin listing does not carry the sender: the rule of the ticket's segment with that kind says it)."""
    entries = list_follow_ups(follow_up_units(app), merchant_id=app.merchant.id, ticket_id=view.ticket.id)
    _, rules = app.policy.follow_ups_for(view.ticket.segment)
    senders = {rule.kind: rule.sender for rule in rules}
    zone = customer_zone(app.policy)
    return tuple(ScheduledFollowUp(entry, senders.get(entry.kind, "?"), zone) for entry in entries)


def customer_zone(policy: Policy) -> ZoneInfo:
    """The zone a follow-up's due time is reckoned in, as the scheduling reckons it (customers carry none
    in the store: the quiet hours' time zone, else UTC)."""
    return ZoneInfo(scheduling_zone(policy))
