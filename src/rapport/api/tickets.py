"""Ticket routes: triage a message, draft its reply, show a customer card. Thin: each calls a service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from rapport.domain.serialize import profile_to_dict
from rapport.drafting import LLMSettings
from rapport.policy import Policy
from rapport.services.replies import draft_reply
from rapport.services.triage import parse_intent, triage, triage_to_dict
from rapport.store.unit_of_work import UnitOfWork


class TicketIn(BaseModel):
    """An inbound message; `order` and `intent` are optional hints from the help desk."""

    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    message: str = Field(max_length=200_000)
    order: str | None = Field(default=None, max_length=64)
    intent: str | None = Field(default=None, max_length=64)
    now: datetime | None = None


def ticket_router(
    uow_factory: Callable[[], UnitOfWork],
    *,
    merchant: str,
    policy: Policy,
    llm: LLMSettings | None,
    clock: Callable[[], datetime],
) -> APIRouter:
    """The /v1 routes bound to one store and one policy."""
    router = APIRouter(prefix="/v1")

    def run(ticket: TicketIn) -> Any:
        now = ticket.now or clock()
        return triage(
            uow_factory,
            merchant=merchant,
            email=ticket.email,
            message=ticket.message,
            now=now if now.tzinfo else now.replace(tzinfo=UTC),
            policy=policy,
            order_name=ticket.order,
            intent=parse_intent(ticket.intent) if ticket.intent else None,
        )

    @router.post("/tickets/triage")
    def triage_ticket(ticket: TicketIn) -> dict[str, Any]:
        """Decide segment, queue, SLA, resolution, tone and follow-ups, with the reasons."""
        return triage_to_dict(run(ticket))

    @router.post("/tickets/draft")
    def draft_ticket(ticket: TicketIn) -> dict[str, Any]:
        """Triage, then draft the reply (checked by the guardrails)."""
        result = run(ticket)
        return {"decision": triage_to_dict(result), "draft": draft_reply(result, llm=llm).to_dict()}

    @router.get("/customers/{email}")
    def customer(email: str, now: datetime | None = None) -> dict[str, Any]:
        """The customer card: what Rapport knows before answering (a guest when unknown)."""
        at = now or clock()
        with uow_factory() as uow:
            merchant_id = uow.merchants.get_or_create(slug=merchant, currency=policy.currency)
            profile = uow.profiles.get_profile(merchant_id=merchant_id, email=email, now=at)
            uow.commit()
        return profile_to_dict(profile)

    return router
