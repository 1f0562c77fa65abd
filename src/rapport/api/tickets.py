"""Ticket routes: triage a message, draft its reply, show a customer card. Thin: each calls a service
and answers a `rapport.schemas` model, which is also what the OpenAPI schema publishes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from rapport.api.errors import ERROR_RESPONSES
from rapport.bootstrap import Rapport
from rapport.schemas import CustomerOut, DraftResponse, InstantIn, TicketIn, TriageOut
from rapport.schemas.tickets import EMAIL_PATTERN
from rapport.services.customers import customer_card
from rapport.services.replies import draft_reply
from rapport.services.triage import TriageRequest, TriageResult, triage

NOW_HELP = "Decide as of this instant: ISO 8601, no offset means UTC, years 1970-2199 (default: now)."


def ticket_router(app: Rapport, *, clock: Callable[[], datetime]) -> APIRouter:
    """The /v1 routes of one application (its store, policy, merchant, classifier and drafter)."""
    router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)

    def run(ticket: TicketIn) -> TriageResult:
        request = TriageRequest(
            email=ticket.email,
            message=ticket.message,
            now=ticket.now or clock(),
            order_name=ticket.order,
            intent=ticket.intent,
        )
        return triage(
            app.uow_factory,
            merchant=app.merchant,
            policy=app.policy,
            classifier=app.classifier,
            request=request,
            record=ticket.record,
        )

    @router.post("/tickets/triage", response_model=TriageOut)
    def triage_ticket(ticket: TicketIn) -> TriageOut:
        """Decide segment, queue, SLA, resolution, tone and follow-ups, with the reasons (a preview:
        the ticket and the decision are stored only with `"record": true`)."""
        return TriageOut.from_result(run(ticket))

    @router.post("/tickets/draft", response_model=DraftResponse)
    def draft_ticket(ticket: TicketIn) -> DraftResponse:
        """Triage, then draft the reply (checked by the guardrails)."""
        result = run(ticket)
        return DraftResponse.from_domain(result, draft_reply(result, drafter=app.drafter, brand=app.brand))

    @router.get("/customers/{email}", response_model=CustomerOut)
    def customer(
        email: Annotated[str, Path(min_length=3, max_length=320, pattern=EMAIL_PATTERN)],
        now: Annotated[InstantIn | None, Query(description=NOW_HELP)] = None,
    ) -> CustomerOut:
        """The customer card: what Rapport knows before answering (a guest when unknown); amounts are
        in the merchant's currency, the policy's."""
        profile = customer_card(app.uow_factory, merchant=app.merchant, email=email, now=now or clock())
        return CustomerOut.from_domain(profile)

    return router
