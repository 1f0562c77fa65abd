"""The desk's pages: the queue board, one queue, one ticket with its customer card, and the ticket's
actions (claim, send the reply with its resolution, escalate, resolve).

Each action answers with a redirect to the page to look at next (303), so a reload never repeats it;
a reply also carries an idempotency key rendered with the form, so a double submit sends it once.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from rapport.bootstrap import Rapport
from rapport.domain import CustomerProfile
from rapport.domain.decision import EscalationLevel, OfferKind
from rapport.domain.desk import ESCALATION_QUEUES, Role, TicketStatus, may_act, may_take
from rapport.domain.errors import Forbidden, InvalidInput
from rapport.engine.authority import GrantRecord
from rapport.services.customers import customer_card
from rapport.services.desk.grants import grants_for
from rapport.services.desk.lifecycle import (
    ReplyResult,
    Resolution,
    TicketView,
    claim,
    claim_next,
    escalate,
    reply,
    resolve,
    show,
)
from rapport.services.desk.queues import QueuePage, QueueSummary, list_queues, queue_tickets
from rapport.services.tenancy import Tenant
from rapport.web.pages import render
from rapport.web.session import Viewer, form_of

BOARD_PREVIEW = 5  # tickets shown per queue on the board
LEVEL_OF_QUEUE = {name: level for level, name in ESCALATION_QUEUES.items()}
DONE = {
    "claimed": "The ticket is yours.",
    "replied": "Reply sent.",
    "escalated": "Escalated: the ticket waits in the escalation queue.",
    "resolved": "Resolved.",
}


def queue_level(name: str) -> EscalationLevel:
    """Who a queue is for: the escalation queues for their level, every other queue for agents."""
    return LEVEL_OF_QUEUE.get(name, EscalationLevel.AGENT)


def may_see(role: Role, queue: str) -> bool:
    return may_take(role, queue_level(queue))


@dataclass(frozen=True, slots=True)
class BoardQueue:
    summary: QueueSummary
    page: QueuePage


@dataclass(frozen=True, slots=True)
class TicketScreen:
    """One ticket with the customer card and what the desk granted the customer before."""

    view: TicketView
    profile: CustomerProfile
    grants: list[GrantRecord]


def _board(app: Rapport, tenant: Tenant, role: Role, now: datetime) -> list[BoardQueue]:
    summaries = [q for q in list_queues(app.uow_factory, tenant=tenant, now=now) if may_see(role, q.name)]
    return [
        BoardQueue(
            q, queue_tickets(app.uow_factory, tenant=tenant, queue=q.name, now=now, limit=BOARD_PREVIEW)
        )
        for q in summaries
    ]


def _screen(app: Rapport, tenant: Tenant, ticket_id: int, now: datetime) -> TicketScreen:
    view = show(app.uow_factory, tenant=tenant, ticket_id=ticket_id, now=now)
    email = view.ticket.email
    return TicketScreen(
        view=view,
        profile=customer_card(app.uow_factory, merchant=tenant.merchant, email=email, now=now),
        # The store's unit of work has `grants` (services/desk/grants.py reads it through its own port).
        grants=grants_for(app.uow_factory, tenant.merchant.id, email),
    )


def _amount(text: str | None, field: str) -> Decimal | None:
    if text is None or not text.strip():
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise InvalidInput(f"{field}: {text[:40]!r} is not an amount") from None
    if not value.is_finite() or value < 0:
        raise InvalidInput(f"{field}: {text[:40]!r} is not an amount")
    return value


def resolution_of(form: dict[str, str]) -> Resolution | None:
    """The resolution the reply grants, from the form: none, or the offer with its (edited) amount."""
    offer = form.get("offer", "none")
    if offer in ("", "none"):
        return None
    try:
        kind = OfferKind(offer)
    except ValueError:
        raise InvalidInput(f"offer: {offer[:40]!r} is not an offer") from None
    return Resolution(
        offer=kind,
        amount=_amount(form.get("amount"), "amount"),
        percent=_amount(form.get("percent"), "percent"),
        reason=form.get("reason") or None,
    )


def add_desk_routes(
    router: APIRouter,
    app: Rapport,
    *,
    clock: Callable[[], datetime],
    viewer: Callable[..., object],
    on_reply: Callable[[ReplyResult], object] | None = None,
) -> None:
    """The queue and ticket pages; `on_reply` hears of every reply sent from them (the API's metrics
    count first responses and SLA breaches from it, as they do for `POST /v1/tickets/{id}/reply`)."""

    def tenant_of(seen: Viewer) -> Tenant:
        return app.tenant(seen.actor.merchant_id)

    def to_ticket(ticket_id: int, done: str) -> Response:
        return RedirectResponse(f"/tickets/{ticket_id}?done={done}", status_code=303)

    @router.get("/queues")
    def board(request: Request, seen: Viewer = Depends(viewer)) -> Response:
        now = clock()
        queues = _board(app, tenant_of(seen), seen.role, now)
        return render(request, "queues.html", section="queues", queues=queues, now=now, statuses=TicketStatus)

    @router.get("/queues/{name}")
    def queue(
        request: Request,
        name: Annotated[str, PathParam(max_length=64)],
        cursor: Annotated[str | None, Query(max_length=200)] = None,
        seen: Viewer = Depends(viewer),
    ) -> Response:
        if not may_see(seen.role, name):
            raise Forbidden(f"the {name} queue is for the {queue_level(name).value} level")
        page = queue_tickets(app.uow_factory, tenant=tenant_of(seen), queue=name, now=clock(), cursor=cursor)
        return render(request, "queue.html", section="queues", page=page)

    @router.post("/queues/{name}/claim")
    def take_next(name: Annotated[str, PathParam(max_length=64)], seen: Viewer = Depends(viewer)) -> Response:
        view = claim_next(app.uow_factory, tenant=tenant_of(seen), actor=seen.actor, queue=name, now=clock())
        return to_ticket(view.ticket.id, "claimed")

    @router.get("/tickets/{ticket_id}")
    def ticket(
        request: Request,
        ticket_id: Annotated[int, PathParam(ge=1)],
        done: Annotated[str | None, Query(max_length=20)] = None,
        seen: Viewer = Depends(viewer),
    ) -> Response:
        now = clock()
        screen = _screen(app, tenant_of(seen), ticket_id, now)
        return render(
            request,
            "ticket.html",
            section="queues",
            screen=screen,
            view=screen.view,
            t=screen.view.ticket,
            decision=screen.view.decision,
            profile=screen.profile,
            notice=DONE.get(done or ""),
            reply_key=secrets.token_urlsafe(16),
            context=_ticket_context(screen, seen),
        )

    @router.post("/tickets/{ticket_id}/claim")
    def take(ticket_id: Annotated[int, PathParam(ge=1)], seen: Viewer = Depends(viewer)) -> Response:
        claim(app.uow_factory, tenant=tenant_of(seen), actor=seen.actor, ticket_id=ticket_id, now=clock())
        return to_ticket(ticket_id, "claimed")

    @router.post("/tickets/{ticket_id}/reply")
    async def send(
        request: Request, ticket_id: Annotated[int, PathParam(ge=1)], seen: Viewer = Depends(viewer)
    ) -> Response:
        form = await form_of(request)
        body = form.get("body", "").replace("\r\n", "\n")
        drafted = form.get("draft_source", "template")
        source = (
            drafted if body.strip() == form.get("draft_body", "").replace("\r\n", "\n").strip() else "edited"
        )
        result = await run_in_threadpool(
            lambda: reply(
                app.uow_factory,
                tenant=tenant_of(seen),
                actor=seen.actor,
                ticket_id=ticket_id,
                body=body,
                draft_source=source,
                now=clock(),
                ask_customer=form.get("ask_customer") == "yes",
                resolution=resolution_of(form),
                idempotency_key=(form.get("idempotency_key") or None),
            )
        )
        if on_reply is not None:
            on_reply(result)
        return to_ticket(ticket_id, "replied")

    @router.post("/tickets/{ticket_id}/escalate")
    async def move_up(
        request: Request, ticket_id: Annotated[int, PathParam(ge=1)], seen: Viewer = Depends(viewer)
    ) -> Response:
        form = await form_of(request)
        await run_in_threadpool(
            lambda: escalate(
                app.uow_factory,
                tenant=tenant_of(seen),
                actor=seen.actor,
                ticket_id=ticket_id,
                reason=form.get("reason", ""),
                now=clock(),
            )
        )
        return to_ticket(ticket_id, "escalated")

    @router.post("/tickets/{ticket_id}/resolve")
    async def close(
        request: Request, ticket_id: Annotated[int, PathParam(ge=1)], seen: Viewer = Depends(viewer)
    ) -> Response:
        form = await form_of(request)
        await run_in_threadpool(
            lambda: resolve(
                app.uow_factory,
                tenant=tenant_of(seen),
                actor=seen.actor,
                ticket_id=ticket_id,
                now=clock(),
                note=form.get("note") or None,
            )
        )
        return to_ticket(ticket_id, "resolved")


def _ticket_context(screen: TicketScreen, seen: Viewer) -> dict[str, Any]:
    """What the ticket page decides about its buttons: who holds the ticket, what this person may do."""
    ticket = screen.view.ticket
    mine = ticket.assignee_id == seen.actor.user_id or seen.role is Role.ADMIN
    status = ticket.status
    return {
        "may_claim": may_act("claim", status) and may_take(seen.role, ticket.claim_level),
        "may_reply": may_act("reply", status) and mine,
        "may_resolve": may_act("resolve", status) and mine,
        "may_escalate": may_act("escalate", status) and (ticket.assignee_id is None or mine),
    }
