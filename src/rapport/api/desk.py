"""The desk's routes: tickets in (`POST /v1/tickets`), a ticket with everything about it, the queue board,
claims and the lifecycle actions. Thin: each calls one desk service for the caller's tenant and answers a
`rapport.schemas.desk` model. Person-only routes say so in the OpenAPI document (`x-rapport-role`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from rapport.api.auth import PERSON_ONLY, Authenticator
from rapport.api.errors import ERROR_RESPONSES
from rapport.api.metrics import ApiMetrics
from rapport.bootstrap import Rapport
from rapport.domain.desk import Actor
from rapport.schemas.desk import (
    EscalateIn,
    NoteIn,
    QueueOut,
    QueuesOut,
    QueueTicketsOut,
    ReplyIn,
    ReplyOut,
    TicketCreatedOut,
    TicketCreateIn,
    TicketOut,
    TicketSummaryOut,
)
from rapport.services.desk import lifecycle, queues
from rapport.services.desk.intake import IntakeOutcome, TicketIntake, take_in

TicketId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The ticket's id")]
QueueName = Annotated[str, Path(min_length=1, max_length=60, pattern=r"^[^\x00/]+$")]


def desk_router(
    app: Rapport, *, auth: Authenticator, clock: Callable[[], datetime], metrics: ApiMetrics
) -> APIRouter:
    """The /v1 desk routes of one application, for each caller's tenant."""
    router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES, tags=["desk"])

    @router.post(
        "/tickets",
        response_model=TicketCreatedOut,
        status_code=status.HTTP_201_CREATED,
        responses={
            200: {"model": TicketCreatedOut, "description": "Appended to the customer's ticket, or a retry"}
        },
    )
    def post_ticket(
        body: TicketCreateIn, response: Response, actor: Actor = Depends(auth.actor)
    ) -> TicketCreatedOut:
        """Triage, draft and store a customer's message: a new ticket in its queue (201), or the
        customer's next message on their unresolved ticket (200, `appended`), or the same ticket again
        for the same `idempotency_key` (200, `retried`)."""
        intake = TicketIntake(
            email=body.email,
            body=body.body,
            now=body.now or clock(),
            name=body.name,
            channel=body.channel,
            subject=body.subject,
            order=body.order,
            idempotency_key=body.idempotency_key,
        )
        with metrics.intake_seconds.time():
            result = take_in(
                app.uow_factory,
                tenant=app.tenant(actor.merchant_id),
                actor=actor,
                classifier=app.classifier,
                drafter=app.drafter,
                intake=intake,
            )
        metrics.taken_in(result)
        if result.outcome is not IntakeOutcome.CREATED:
            response.status_code = status.HTTP_200_OK
        return TicketCreatedOut(outcome=result.outcome.value, ticket=TicketOut.from_view(result.view))

    @router.get("/tickets/{ticket_id:int}", response_model=TicketOut)
    def get_ticket(ticket_id: TicketId, actor: Actor = Depends(auth.actor)) -> TicketOut:
        """The ticket: status, queue, assignee, SLA clock, decision with its explanation, the draft,
        the conversation and every change."""
        view = lifecycle.show(
            app.uow_factory, tenant=app.tenant(actor.merchant_id), ticket_id=ticket_id, now=clock()
        )
        return TicketOut.from_view(view)

    @router.get("/queues", response_model=QueuesOut)
    def list_queues(actor: Actor = Depends(auth.actor)) -> QueuesOut:
        """Every queue (the policy's, then `senior` and `manager`): tickets per status, the oldest due,
        how many are breached."""
        summaries = queues.list_queues(app.uow_factory, tenant=app.tenant(actor.merchant_id), now=clock())
        return QueuesOut(
            queues=[
                QueueOut(name=q.name, counts=q.counts, oldest_due=q.oldest_due, breached=q.breached)
                for q in summaries
            ]
        )

    @router.get("/queues/{name}/tickets", response_model=QueueTicketsOut)
    def queue_tickets(
        name: QueueName,
        actor: Actor = Depends(auth.actor),
        limit: Annotated[int, Query(ge=1, le=queues.MAX_PAGE)] = 50,
        cursor: Annotated[str | None, Query(max_length=60, pattern=queues.CURSOR_PATTERN)] = None,
    ) -> QueueTicketsOut:
        """The queue's unresolved tickets, highest priority first, then the earliest due, with time left."""
        page = queues.queue_tickets(
            app.uow_factory,
            tenant=app.tenant(actor.merchant_id),
            queue=name,
            now=clock(),
            limit=limit,
            cursor=cursor,
        )
        return QueueTicketsOut(
            queue=page.queue,
            tickets=[TicketSummaryOut.from_domain(t.ticket, t.sla) for t in page.tickets],
            next_cursor=page.next_cursor,
        )

    @router.post("/queues/{name}/claim", response_model=TicketOut, openapi_extra=PERSON_ONLY)
    def claim_next(name: QueueName, actor: Actor = Depends(auth.person)) -> TicketOut:
        """Hand the caller the most urgent ticket of the queue their role may take (409 when none is
        left); two callers never get the same ticket."""
        tenant = app.tenant(actor.merchant_id)
        return TicketOut.from_view(
            lifecycle.claim_next(app.uow_factory, tenant=tenant, actor=actor, queue=name, now=clock())
        )

    @router.post("/tickets/{ticket_id:int}/claim", response_model=TicketOut, openapi_extra=PERSON_ONLY)
    def claim(ticket_id: TicketId, actor: Actor = Depends(auth.person)) -> TicketOut:
        """Take this ticket (open or escalated; an escalated one only with the role its level needs)."""
        tenant = app.tenant(actor.merchant_id)
        return TicketOut.from_view(
            lifecycle.claim(app.uow_factory, tenant=tenant, actor=actor, ticket_id=ticket_id, now=clock())
        )

    @router.post("/tickets/{ticket_id:int}/reply", response_model=ReplyOut, openapi_extra=PERSON_ONLY)
    def reply(ticket_id: TicketId, body: ReplyIn, actor: Actor = Depends(auth.person)) -> ReplyOut:
        """Send the reply (the assignee or an admin); with `resolution`, grant it within the caller's
        authority in the same transaction (a refused grant sends nothing: 403)."""
        resolution = None
        if body.resolution is not None:
            r = body.resolution
            resolution = lifecycle.Resolution(
                offer=r.offer,
                amount=r.amount,
                percent=r.percent,
                currency=r.currency.upper() if r.currency else None,
                reason=r.reason,
            )
        result = lifecycle.reply(
            app.uow_factory,
            tenant=app.tenant(actor.merchant_id),
            actor=actor,
            ticket_id=ticket_id,
            body=body.body,
            draft_source=body.draft_source,
            ask_customer=body.ask_customer,
            resolution=resolution,
            idempotency_key=body.idempotency_key,
            now=clock(),
        )
        metrics.replied(result)
        return ReplyOut.of(result.view, result.grant, replayed=result.replayed)

    @router.post("/tickets/{ticket_id:int}/resolve", response_model=TicketOut, openapi_extra=PERSON_ONLY)
    def resolve(
        ticket_id: TicketId, actor: Actor = Depends(auth.person), body: NoteIn | None = None
    ) -> TicketOut:
        """Resolve the ticket (claimed or waiting on the customer; the assignee or an admin)."""
        tenant = app.tenant(actor.merchant_id)
        note = body.note if body else None
        return TicketOut.from_view(
            lifecycle.resolve(
                app.uow_factory, tenant=tenant, actor=actor, ticket_id=ticket_id, now=clock(), note=note
            )
        )

    @router.post("/tickets/{ticket_id:int}/escalate", response_model=TicketOut, openapi_extra=PERSON_ONLY)
    def escalate(ticket_id: TicketId, body: EscalateIn, actor: Actor = Depends(auth.person)) -> TicketOut:
        """Escalate to the level the policy names (the queue's `escalate_to`, else one level up): the
        ticket moves to that level's queue, unassigned."""
        tenant = app.tenant(actor.merchant_id)
        return TicketOut.from_view(
            lifecycle.escalate(
                app.uow_factory,
                tenant=tenant,
                actor=actor,
                ticket_id=ticket_id,
                reason=body.reason,
                now=clock(),
            )
        )

    @router.post("/tickets/{ticket_id:int}/reopen", response_model=TicketOut, openapi_extra=PERSON_ONLY)
    def reopen(
        ticket_id: TicketId, actor: Actor = Depends(auth.person), body: NoteIn | None = None
    ) -> TicketOut:
        """Open a resolved ticket again, unassigned."""
        tenant = app.tenant(actor.merchant_id)
        note = body.note if body else None
        return TicketOut.from_view(
            lifecycle.reopen(
                app.uow_factory, tenant=tenant, actor=actor, ticket_id=ticket_id, now=clock(), note=note
            )
        )

    return router
