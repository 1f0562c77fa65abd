"""`GET /v1/me`: the bare authenticated route — a client checks its key (or session) and learns whom it
acts for. It is also the reference the intake benchmark measures `POST /v1/tickets` against."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from rapport.api.auth import Authenticator
from rapport.api.errors import ERROR_RESPONSES
from rapport.bootstrap import Rapport
from rapport.domain.desk import Actor
from rapport.schemas.access import MeOut


def me_router(app: Rapport, *, auth: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)

    @router.get("/me", response_model=MeOut)
    def me(actor: Actor = Depends(auth.actor)) -> MeOut:
        """Who is calling: the merchant, the role, the person's e-mail or the key's label."""
        return MeOut.from_actor(actor, merchant=app.tenant(actor.merchant_id).merchant.slug)

    return router
