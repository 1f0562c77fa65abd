"""The demo's support desk: people with printed passwords, a machine key, and a morning's open tickets
across the queues — the backlog's messages from customers of every segment, the showcase's damaged
bowls for the VIP, the subscriber and the first-time buyer, and one ticket already escalated to seniors.

Everything goes through the desk's own services (`add_user`, `create_key`, `take_in`, `claim`,
`escalate`), so the demo store holds exactly what the API and the workspace would have written.
"""

from __future__ import annotations

import csv
import itertools
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from rapport.bootstrap import Rapport, follow_up_units
from rapport.demo.showcase import DAMAGED, DEMO_NOW, MORE_TICKETS, SAME_PROBLEM, ShowcaseTicket
from rapport.demo.synthetic import SHOWCASE, SHOWCASE_IDS, StoreGenerator
from rapport.domain.access import UserInfo
from rapport.domain.desk import Actor, Role, TicketStatus
from rapport.domain.errors import InvalidInput
from rapport.domain.follow_ups import FollowUpStatus
from rapport.services.access import add_user, authenticate_key, create_key
from rapport.services.desk.intake import IntakeResult, TicketIntake, take_in
from rapport.services.desk.lifecycle import claim, escalate
from rapport.services.follow_ups.admin import list_follow_ups
from rapport.services.follow_ups.scheduling import CUSTOMER_WROTE
from rapport.services.triage import TriageRequest, assess

BACKLOG = Path(__file__).resolve().parents[3] / "examples" / "backlog.csv"
DOMAIN = "demo.example"
ROLES = (Role.ADMIN, Role.AGENT, Role.SENIOR)
PER_SEGMENT = 8  # backlog tickets per segment of the policy
CANDIDATES = 160  # the store's first customers, looked at to find each segment's (a rare one gets fewer)
SPACING = timedelta(minutes=3)  # between two tickets of the morning, newest first
CHANNELS = ("email", "email", "chat", "email", "contact_form")


@dataclass(frozen=True, slots=True)
class DemoPerson:
    email: str
    role: Role
    password: str  # generated now, shown once; the store keeps its argon2id hash


@dataclass(frozen=True, slots=True)
class DemoTicket:
    label: str
    email: str
    ticket_id: int
    queue: str
    status: TicketStatus
    segment: str | None


@dataclass(frozen=True)
class DemoDesk:
    """What `set_up_desk` made: who can log in, the machine key, and the tickets in their queues."""

    merchant: str
    people: list[DemoPerson]
    machine_key: str
    tickets: list[DemoTicket] = field(default_factory=list)
    showcase: list[DemoTicket] = field(default_factory=list)
    escalated: DemoTicket | None = None
    # The showcase's follow-ups that its customers' new messages of the morning cancelled (a customer
    # writing again cancels what was pending for them).
    cancelled_follow_ups: int = 0

    def queue_counts(self) -> Counter[str]:
        """Open tickets per queue (escalated ones count in the queue they wait in)."""
        return Counter(t.queue for t in self.all_tickets())

    def all_tickets(self) -> list[DemoTicket]:
        return [*self.showcase, *self.tickets]


def backlog_messages(path: Path = BACKLOG) -> list[str]:
    """The messages of a backlog CSV (a `message` column), e.g. examples/backlog.csv."""
    if not path.exists():
        raise InvalidInput(f"{path} does not exist: the demo desk takes its messages from it")
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["message"] for row in csv.DictReader(handle) if row.get("message", "").strip()]


def set_up_desk(
    app: Rapport,
    *,
    now: datetime,
    seed: int,
    customers: int,
    messages: Sequence[str],
    per_segment: int = PER_SEGMENT,
) -> DemoDesk:
    """Add the demo's people and key, then the tickets of the last few hours (as of `now`) on the demo
    store that `run_showcase(seed=seed, customers=customers)` built."""
    if not messages:
        raise InvalidInput("the demo desk needs at least one backlog message")
    merchant = app.merchant.slug
    people = [_person(app, merchant, role, now) for role in ROLES]
    key = create_key(app.uow_factory, merchant=merchant, now=now, label="demo help desk").secret
    machine = authenticate_key(app.uow_factory, raw_key=key, now=now)  # the help desk posts the tickets
    desk = DemoDesk(merchant=merchant, people=[person for person, _ in people], machine_key=key)
    arrivals = (now - SPACING * n for n in itertools.count(1))  # newest first, every few minutes
    for (label, which), at in zip(SAME_PROBLEM, arrivals, strict=False):
        result = _take_in(app, machine, SHOWCASE[which], DAMAGED, at, f"Damaged bowls ({label})", "email")
        desk.showcase.append(_ticket(label, SHOWCASE[which], result))
    for extra, at in zip(_extra_showcase(), arrivals, strict=False):
        result = _take_in(app, machine, extra.email, extra.message, at, None, "email")
        desk.showcase.append(_ticket(extra.title, extra.email, result))
    chosen = _customers_by_segment(app, seed=seed, customers=customers, per_segment=per_segment, now=now)
    for i, ((email, name, segment), at) in enumerate(zip(chosen, arrivals, strict=False)):
        message = messages[i % len(messages)]
        result = _take_in(
            app, machine, email, message, at, _subject(message), CHANNELS[i % len(CHANNELS)], name
        )
        desk.tickets.append(_ticket(f"backlog ({segment})", email, result))
    agent = next(user for person, user in people if person.role is Role.AGENT)
    desk = replace(desk, cancelled_follow_ups=_cancelled_for(app, {t.email for t in desk.showcase}))
    return _with_escalation(app, desk, _actor(agent), now)


def _cancelled_for(app: Rapport, emails: set[str]) -> int:
    entries = list_follow_ups(
        follow_up_units(app), merchant_id=app.merchant.id, status=FollowUpStatus.CANCELLED, limit=10_000
    )
    return sum(1 for e in entries if e.email in emails and e.cancelled_reason == CUSTOMER_WROTE)


def _person(app: Rapport, merchant: str, role: Role, now: datetime) -> tuple[DemoPerson, UserInfo]:
    email = f"{role.value}@{DOMAIN}"
    password = secrets.token_urlsafe(12)
    user = add_user(app.uow_factory, merchant=merchant, email=email, role=role, password=password, now=now)
    return DemoPerson(email=user.email, role=role, password=password), user


def _actor(user: UserInfo) -> Actor:
    return Actor(merchant_id=user.merchant_id, role=user.role, user_id=user.id, label=user.email)


def _extra_showcase() -> list[ShowcaseTicket]:
    """The showcase's other tickets, except the one for the first-time buyer (hers is the bowls)."""
    return [t for t in MORE_TICKETS if t.email != SHOWCASE["first_time"]]


def _take_in(
    app: Rapport,
    actor: Actor,
    email: str,
    body: str,
    at: datetime,
    subject: str | None,
    channel: str,
    name: str | None = None,
) -> IntakeResult:
    intake = TicketIntake(
        email=email,
        body=body,
        now=at,
        name=name,
        channel=channel,
        subject=subject,
        idempotency_key=f"demo-{email}",
    )
    return take_in(
        app.uow_factory,
        tenant=app.tenant(actor.merchant_id),
        actor=actor,
        classifier=app.classifier,
        drafter=app.drafter,
        intake=intake,
    )


def _ticket(label: str, email: str, result: IntakeResult) -> DemoTicket:
    ticket = result.view.ticket
    decision = result.view.decision
    return DemoTicket(
        label=label,
        email=email,
        ticket_id=ticket.id,
        queue=ticket.queue,
        status=ticket.status,
        segment=decision.segment if decision is not None else None,
    )


def _subject(message: str) -> str:
    first = message.split(". ")[0].split("? ")[0].strip()
    return first if len(first) <= 60 else first[:57].rstrip() + "..."


def _customers_by_segment(
    app: Rapport, *, seed: int, customers: int, per_segment: int, now: datetime
) -> list[tuple[str, str, str]]:
    """(e-mail, name, segment) of up to `per_segment` customers of each of the policy's segments, in the
    order the store generated them, interleaved so every queue fills from the start.

    The store is seeded, so its first customers are regenerated here instead of read back; each one's
    segment is what triage decides for them now."""
    wanted = {segment.name: per_segment for segment in app.policy.segments}
    found: dict[str, list[tuple[str, str, str]]] = {name: [] for name in wanted}
    generator = StoreGenerator(seed=seed, now=DEMO_NOW)
    for record in generator.records(min(customers, CANDIDATES)):
        if record["kind"] != "customer" or record["id"] in SHOWCASE_IDS:
            continue
        email = record["email"]
        # The intent is given: only the customer decides the segment, so no message needs reading.
        request = TriageRequest(email=email, message="A question.", now=now, intent="other")
        segment = assess(
            app.uow_factory,
            merchant_id=app.merchant.id,
            policy=app.policy,
            classifier=app.classifier,
            request=request,
        ).decision.segment
        if len(found[segment]) < wanted[segment]:
            found[segment].append((email, f"{record['first_name']} {record['last_name']}", segment))
        if all(len(found[name]) >= wanted[name] for name in wanted):
            break
    columns = list(found.values())
    return [column[i] for i in range(per_segment) for column in columns if i < len(column)]


def _with_escalation(app: Rapport, desk: DemoDesk, agent: Actor, now: datetime) -> DemoDesk:
    """The agent claims the oldest open ticket of the priority queue and escalates it to the seniors."""
    candidates = [
        t for t in reversed(desk.tickets) if t.queue == "priority" and t.status is TicketStatus.OPEN
    ]
    if not candidates:
        return desk
    picked = candidates[0]
    tenant = app.tenant(agent.merchant_id)
    claim(app.uow_factory, tenant=tenant, actor=agent, ticket_id=picked.ticket_id, now=now)
    view = escalate(
        app.uow_factory,
        tenant=tenant,
        actor=agent,
        ticket_id=picked.ticket_id,
        reason="A long-standing customer asks for more than an agent may grant; a senior should decide.",
        now=now,
    )
    moved = replace(picked, queue=view.ticket.queue, status=view.ticket.status)
    desk.tickets[desk.tickets.index(picked)] = moved
    return replace(desk, escalated=moved)
