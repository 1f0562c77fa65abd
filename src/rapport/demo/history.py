"""The demo's past weeks at the desk: tickets that came in, were answered (some after their SLA) and
resolved, with what was granted, the follow-ups their resolution scheduled, some CSAT answers and the
orders some customers placed afterwards.

Everything goes through the services the API and the workspace use (`take_in`, `claim`, `reply` with
its grant checked against the ledger, `resolve`, which schedules the follow-ups, `csat.record_answer`,
`import_jsonl` for the later orders), so the report, the worker and the simulator read a store as the
real desk would have written it. Seeded: the same seed and store give the same history.

The history's customers are taken from the end of the generated store, never the showcase's nor the
first ones the desk of `rapport demo --serve` picks, so the showcase and the desk look as they did.
"""

from __future__ import annotations

import itertools
import json
import random
import secrets
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

from rapport.bootstrap import Rapport, follow_up_units
from rapport.config import load_settings
from rapport.demo.synthetic import SHOWCASE_IDS
from rapport.domain.decision import EscalationLevel, OfferKind
from rapport.domain.desk import Actor, Role, TicketStatus, may_take
from rapport.domain.errors import Forbidden, InvalidInput
from rapport.domain.follow_ups import FollowUpStatus
from rapport.services import csat
from rapport.services.access import add_user
from rapport.services.desk.intake import TicketIntake, take_in
from rapport.services.desk.lifecycle import Resolution, TicketView, claim, reply, resolve
from rapport.services.follow_ups.admin import list_follow_ups
from rapport.services.importing import import_jsonl

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
CANDIDATE_POLICY = EXAMPLES / "candidate_policy.yaml"  # the README's policy change, to simulate
# The policy the demo decides with: the commands run on the demo store read it from this file.
DEMO_POLICY = Path(str(files("rapport.policy").joinpath("default_policy.yaml")))
WEEKS = 6  # how far back the history reaches
MAX_TICKETS = 40
RESERVED = 160  # the store's first customers: the serve desk's (`desk.CANDIDATES`)
STAFF = (("noor", Role.AGENT), ("ines", Role.SENIOR))  # each argon2id hash costs ~35 ms
DOMAIN = "demo.example"
LATE_SHARE = 0.15  # answered after the first-response target
WAITING_SHARE = 0.2  # asked the customer something before resolving
CSAT_SHARE = 0.45  # of the resolved tickets, how many answered the survey
REORDER_SHARE = {"vip": 0.6, "subscriber": 0.5, "loyal": 0.35}  # others: DEFAULT_REORDER
DEFAULT_REORDER = 0.15
CSAT_SECRET = "rapport-demo-history"  # when RAPPORT_CSAT_SECRET is unset: the links are never sent
NOTHING_TO_GRANT = frozenset({OfferKind.NONE, OfferKind.ESCALATE})

# What customers write, per intent; {item} and {order} come from the order the ticket is about.
MESSAGES: dict[str, tuple[str, ...]] = {
    "damaged_item": (
        "My {item} from order {order} arrived cracked.",
        "The {item} in {order} was broken when I opened the box.",
    ),
    "late_delivery": (
        "Order {order} was supposed to arrive last week and it is still not here.",
        "My {item} is late, the tracking for {order} has not moved in days.",
    ),
    "where_is_my_order": (
        "Where is my order {order}? I have not received any shipping update.",
        "Can you tell me when {order} will ship?",
    ),
    "missing_item": (
        "Order {order} arrived but the {item} was missing from the box.",
        "I only got part of {order}, the {item} is not in the parcel.",
    ),
    "return_request": (
        "I would like to return the {item} from order {order}, it is not what I expected.",
        "How do I send back the {item} from {order}?",
    ),
}


@dataclass(frozen=True, slots=True)
class PastOrder:
    name: str
    created_at: datetime
    item: str


@dataclass(frozen=True, slots=True)
class HistoryCustomer:
    """A generated customer the history may write for (its import id, and its orders)."""

    external_id: str
    email: str
    name: str
    orders: tuple[PastOrder, ...]


@dataclass
class History:
    """What `build_history` wrote: tickets per segment and queue, follow-ups scheduled per kind and
    segment, the late answers, the CSAT answers and the orders placed after a resolution."""

    tickets: Counter[tuple[str, str]] = field(default_factory=Counter)
    follow_ups: Counter[tuple[str, str]] = field(default_factory=Counter)  # (kind, segment)
    segments: dict[int, str] = field(default_factory=dict)  # the segment of each ticket written
    late: int = 0
    granted: int = 0
    csat_answers: int = 0
    csat_score_sum: int = 0
    reorders: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None

    @property
    def resolved(self) -> int:
        return sum(self.tickets.values())


def customers_of(store: Path, *, limit: int) -> list[HistoryCustomer]:
    """Up to `limit` customers with orders from the end of the store's JSON Lines (the showcase's and
    the first `RESERVED` left out), taken in turn from each kind of customer so every segment has some."""
    customers: dict[str, dict[str, Any]] = {}
    orders: dict[str, list[PastOrder]] = {}
    subscribers: set[str] = set()
    with store.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["kind"] == "customer" and record["id"] not in SHOWCASE_IDS:
                customers[record["id"]] = record
            elif record["kind"] == "order" and not record.get("cancelled_at"):
                when = datetime.fromisoformat(record["created_at"])
                item = record["line_items"][0]["title"] if record["line_items"] else "order"
                orders.setdefault(record["customer_id"], []).append(PastOrder(record["name"], when, item))
            elif record["kind"] == "subscription":
                subscribers.add(record["customer_id"])
    kinds: dict[str, list[HistoryCustomer]] = {}
    for c in reversed(list(customers.values())[RESERVED:]):
        if orders.get(c["id"]):
            kind = _kind(len(orders[c["id"]]), c["id"] in subscribers)
            kinds.setdefault(kind, []).append(
                HistoryCustomer(
                    external_id=c["id"],
                    email=c["email"],
                    name=f"{c['first_name']} {c['last_name']}",
                    orders=tuple(orders[c["id"]]),
                )
            )
    turns = itertools.zip_longest(*(kinds[k] for k in sorted(kinds)))
    return [c for turn in turns for c in turn if c is not None][:limit]


def _kind(orders: int, subscribes: bool) -> str:
    """Roughly the segment the policy will find (the real one is decided at intake)."""
    if subscribes:
        return "subscriber"
    if orders >= 8:
        return "big spender"
    return "repeat" if orders >= 2 else "once"


def build_history(
    app: Rapport,
    customers: list[HistoryCustomer],
    *,
    seed: int,
    now: datetime,
    staff: dict[Role, Actor],
) -> History:
    """The desk's last `WEEKS` weeks before `now`: one resolved ticket per customer (when one of their
    orders was placed early enough to write about), then CSAT answers and later orders. `staff` (from
    `desk_staff`) answers them."""
    rng = random.Random(seed)
    history = History()
    help_desk = Actor(merchant_id=app.merchant.id, role=Role.AGENT, label="demo help desk")
    start = now - timedelta(weeks=WEEKS)
    reorders: list[dict[str, Any]] = []
    for n, customer in enumerate(customers):
        received = _working_hour(start + (now - start) * rng.random(), rng)
        order = _order_before(customer, received - timedelta(days=2))
        if order is None or received >= now - timedelta(hours=12):
            continue
        view = _handle(app, (help_desk, staff), customer, order, received, n, rng, history)
        if view is None:
            continue
        resolved_at = view.ticket.resolved_at
        assert resolved_at is not None
        segment = view.decision.segment if view.decision is not None else "-"
        history.tickets[(segment, view.ticket.home_queue)] += 1
        history.segments[view.ticket.id] = segment
        history.first_at = min(history.first_at or received, received)
        history.last_at = max(history.last_at or received, received)
        _answer_survey(app, view, resolved_at, now, rng, history)
        later = resolved_at + timedelta(days=rng.uniform(3, 28))
        if later < now and rng.random() < REORDER_SHARE.get(segment, DEFAULT_REORDER):
            reorders.append(_reorder(customer, later, n))
    _import_orders(app, reorders)
    history.reorders = len(reorders)
    _count_follow_ups(app, history)
    return history


def _handle(
    app: Rapport,
    actors: tuple[Actor, dict[Role, Actor]],
    customer: HistoryCustomer,
    order: PastOrder,
    received: datetime,
    n: int,
    rng: random.Random,
    history: History,
) -> TicketView | None:
    """One ticket from arrival to resolved: claimed, answered (with the decision's offer granted), maybe
    a question to the customer first, then resolved."""
    help_desk, staff = actors
    intent = rng.choice(sorted(MESSAGES))
    body = rng.choice(MESSAGES[intent]).format(item=order.item.lower(), order=order.name)
    tenant = app.tenant(app.merchant.id)
    intake = TicketIntake(
        email=customer.email,
        body=body,
        now=received,
        name=customer.name,
        channel=rng.choice(("email", "email", "chat", "contact_form")),
        order=order.name,
        idempotency_key=f"demo-history-{n}",
    )
    taken = take_in(
        app.uow_factory,
        tenant=tenant,
        actor=help_desk,
        classifier=app.classifier,
        drafter=app.drafter,
        intake=intake,
    )
    ticket = taken.view.ticket
    if ticket.status not in (TicketStatus.OPEN, TicketStatus.ESCALATED):
        return None  # the customer had an unresolved ticket: the message was appended to it
    actor = handler_for(staff, ticket.claim_level)
    if actor is None:
        return None  # escalated to a manager: it waits for one (the demo messages threaten nothing)
    target = ticket.first_response_due - received if ticket.first_response_due else timedelta(hours=8)
    late = rng.random() < LATE_SHARE
    answered = received + target * (rng.uniform(1.1, 2.5) if late else rng.uniform(0.1, 0.9))
    claim(app.uow_factory, tenant=tenant, actor=actor, ticket_id=ticket.id, now=received + target * 0.05)
    ask = rng.random() < WAITING_SHARE
    granted = answer_with_grant(app, actor, taken.view, answered, ask_customer=ask)
    history.late += int(late)
    history.granted += int(granted)
    done = answered + timedelta(hours=rng.uniform(1, 30) + (24 if ask else 0))
    return resolve(app.uow_factory, tenant=tenant, actor=actor, ticket_id=ticket.id, now=done)


def handler_for(staff: Mapping[Role, Actor], level: EscalationLevel) -> Actor | None:
    """The first of the demo's staff whose role may take a ticket at `level` (None: none may)."""
    return next((actor for role, actor in staff.items() if may_take(role, level)), None)


def answer_with_grant(
    app: Rapport, actor: Actor, view: TicketView, at: datetime, *, ask_customer: bool = False
) -> bool:
    """Send the kept draft with the decision's offer as the grant; when the ledger refuses it (a limit
    or the budget reached meanwhile), a plain answer that grants nothing. Whether something was granted."""
    tenant = app.tenant(app.merchant.id)
    body = view.draft.body if view.draft is not None else "Thank you, this is sorted now."
    offer = view.decision.resolution if view.decision is not None else None
    resolution = None
    if offer is not None and offer.offer not in NOTHING_TO_GRANT:
        resolution = Resolution(
            offer=offer.offer, amount=offer.amount, percent=offer.percent, currency=offer.currency
        )
    common: dict[str, Any] = {"tenant": tenant, "actor": actor, "ticket_id": view.ticket.id, "now": at}
    try:
        reply(
            app.uow_factory,
            **common,
            body=body,
            draft_source="template",
            ask_customer=ask_customer,
            resolution=resolution,
        )
    except (Forbidden, InvalidInput):
        plain = "Thank you for your patience: a teammate looked into this and it is sorted now."
        reply(app.uow_factory, **common, body=plain, draft_source="manual", ask_customer=ask_customer)
        return False
    return resolution is not None


def _answer_survey(
    app: Rapport, view: TicketView, resolved_at: datetime, now: datetime, rng: random.Random, history: History
) -> None:
    """Some customers click a score of their survey a few days after the resolution (a signed link)."""
    answered = resolved_at + timedelta(days=rng.uniform(1, 9))
    if answered >= now or rng.random() >= CSAT_SHARE:
        return
    secret = app.settings.csat_secret.get_secret_value() or CSAT_SECRET
    score = rng.choices((5, 4, 3, 2, 1), weights=(45, 30, 12, 8, 5))[0]
    link = csat.survey_link(
        app.settings.csat_base_url,
        app.merchant.id,
        view.ticket.id,
        score,
        secret,
        expires_at=resolved_at + timedelta(days=app.settings.csat_link_days),
    )
    csat.record_answer(app.uow_factory, token=link.rsplit("/", 1)[1], secret=secret, now=answered)
    history.csat_answers += 1
    history.csat_score_sum += score


def _reorder(customer: HistoryCustomer, at: datetime, n: int) -> dict[str, Any]:
    """An order placed after the resolution, as the store's sync would bring it in."""
    number = 900_000 + n
    return {
        "kind": "order",
        "id": number,
        "customer_id": customer.external_id,
        "name": f"#{number}",
        "created_at": at.isoformat(),
        "total": "24.00",
        "currency": "USD",
        "financial_status": "paid",
        "fulfillment_status": "fulfilled",
        "cancelled_at": None,
        "line_items": [{"title": "Speckled coffee mug", "quantity": 1, "price": "24.00"}],
    }


def _import_orders(app: Rapport, orders: list[dict[str, Any]]) -> None:
    if not orders:
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "later_orders.jsonl"
        path.write_text("".join(json.dumps(o) + "\n" for o in orders), encoding="utf-8")
        report = import_jsonl(app.uow_factory, path=path, merchant=app.merchant.slug)
    if report.errors:
        raise RuntimeError(f"the demo's later orders are invalid: {report.errors[:3]}")


def _count_follow_ups(app: Rapport, history: History) -> None:
    units = follow_up_units(app)
    entries = list_follow_ups(
        units, merchant_id=app.merchant.id, status=FollowUpStatus.SCHEDULED, limit=10_000
    )
    for entry in entries:
        if entry.ticket_id in history.segments:
            history.follow_ups[(entry.kind, history.segments[entry.ticket_id])] += 1


def desk_staff(app: Rapport, since: datetime) -> dict[Role, Actor]:
    """The people who worked the desk those weeks (their passwords are never shown: nobody logs in as
    them); by role, in the order a ticket looks for someone who may take it."""
    people = {}
    for name, role in STAFF:
        user = add_user(
            app.uow_factory,
            merchant=app.merchant.slug,
            email=f"{name}@{DOMAIN}",
            role=role,
            password=secrets.token_urlsafe(16),
            now=since,
        )
        people[role] = Actor(merchant_id=user.merchant_id, role=user.role, user_id=user.id, label=user.email)
    return people


def _order_before(customer: HistoryCustomer, latest: datetime) -> PastOrder | None:
    earlier = [o for o in customer.orders if o.created_at <= latest]
    return max(earlier, key=lambda o: o.created_at) if earlier else None


def _working_hour(at: datetime, rng: random.Random) -> datetime:
    """Customers write mostly in the day: the moment moved to between 7:00 and 22:00 of its day."""
    return at.replace(hour=rng.randint(7, 21), minute=rng.randint(0, 59), second=0, microsecond=0)


def scheduled_lines(history: History) -> Iterator[str]:
    """The follow-ups scheduled, one line per kind, with how many per segment."""
    kinds: dict[str, Counter[str]] = {}
    for (kind, segment), count in history.follow_ups.items():
        kinds.setdefault(kind, Counter())[segment] += count
    for kind, per_segment in sorted(kinds.items()):
        parts = ", ".join(f"{segment} {count}" for segment, count in sorted(per_segment.items()))
        yield f"{sum(per_segment.values())} {kind.replace('_', ' ')} ({parts})"


def showcase_outbox() -> Path:
    """Where `rapport worker` delivers, as configured (RAPPORT_OUTBOX_DIR; relative: to where it runs)."""
    return load_settings().outbox_dir
