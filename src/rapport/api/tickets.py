"""Ticket routes: triage a message, draft its reply, show a customer card. Thin: each calls a service
and answers a `rapport.schemas` model, which is also what the OpenAPI schema publishes.

Every route acts for the caller's merchant (its key's or session's): its store rows, its policy in force,
its brand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from rapport.api.auth import Authenticator
from rapport.api.errors import ERROR_RESPONSES
from rapport.api.metrics import ApiMetrics
from rapport.bootstrap import Rapport
from rapport.domain.desk import Actor
from rapport.schemas import CustomerOut, DraftResponse, InstantIn, TicketIn, TriageOut
from rapport.schemas.tickets import EMAIL_PATTERN
from rapport.services.customers import customer_card
from rapport.services.replies import draft_reply
from rapport.services.tenancy import Tenant
from rapport.services.triage import TriageRequest, TriageResult, triage

NOW_HELP = "Decide as of this instant: ISO 8601, no offset means UTC, years 1970-2199 (default: now)."


def ticket_router(
    app: Rapport, *, auth: Authenticator, clock: Callable[[], datetime], metrics: ApiMetrics
) -> APIRouter:
    """The /v1 routes of one application (its store, classifier and drafter), for each caller's tenant."""
    router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)

    def run(ticket: TicketIn, tenant: Tenant) -> TriageResult:
        request = TriageRequest(
            email=ticket.email,
            message=ticket.message,
            now=ticket.now or clock(),
            order_name=ticket.order,
            intent=ticket.intent,
        )
        with metrics.triage_seconds.time():
            result = triage(
                app.uow_factory,
                merchant=tenant.merchant,
                policy=tenant.policy,
                classifier=app.classifier,
                request=request,
                record=ticket.record,
            )
        metrics.triaged(result, recorded=ticket.record)
        return result

    @router.post("/tickets/triage", response_model=TriageOut)
    def triage_ticket(ticket: TicketIn, actor: Actor = Depends(auth.actor)) -> TriageOut:
        """Decide segment, queue, SLA, resolution, tone and follow-ups, with the reasons (a preview:
        the ticket and the decision are stored only with `"record": true`)."""
        return TriageOut.from_result(run(ticket, app.tenant(actor.merchant_id)))

    @router.post("/tickets/draft", response_model=DraftResponse)
    def draft_ticket(ticket: TicketIn, actor: Actor = Depends(auth.actor)) -> DraftResponse:
        """Triage, then draft the reply (checked by the guardrails)."""
        tenant = app.tenant(actor.merchant_id)
        result = run(ticket, tenant)
        draft = draft_reply(result, drafter=app.drafter, brand=tenant.brand)
        metrics.drafted(draft)
        return DraftResponse.from_domain(result, draft)

    @router.get("/customers/{email}", response_model=CustomerOut)
    def customer(
        email: Annotated[str, Path(min_length=3, max_length=320, pattern=EMAIL_PATTERN)],
        now: Annotated[InstantIn | None, Query(description=NOW_HELP)] = None,
        actor: Actor = Depends(auth.actor),
    ) -> CustomerOut:
        """The customer card: what Rapport knows before answering (a guest when unknown); amounts are
        in the merchant's currency, the policy's."""
        tenant = app.tenant(actor.merchant_id)
        profile = customer_card(app.uow_factory, merchant=tenant.merchant, email=email, now=now or clock())
        return CustomerOut.from_domain(profile)

    return router
