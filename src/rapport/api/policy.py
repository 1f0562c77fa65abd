"""The merchant's policy: read the version in force and its history (any caller of the merchant); save a
new version or restore an old one (admins only — `x-rapport-role: admin`). A policy with mistakes is
refused with 422 and every mistake with its line and field; nothing is stored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path

from rapport.api.auth import ADMIN_ONLY, Authenticator
from rapport.api.errors import ERROR_RESPONSES
from rapport.bootstrap import Rapport
from rapport.domain.desk import Actor
from rapport.schemas.policies import PolicyIn, PolicyOut, PolicyVersionOut
from rapport.services.policies import current_policy_source, policy_history, restore_policy, save_policy


def policy_router(app: Rapport, *, auth: Authenticator, clock: Callable[[], datetime]) -> APIRouter:
    router = APIRouter(prefix="/v1/policy", responses=ERROR_RESPONSES, tags=["policy"])

    @router.get("", response_model=PolicyOut)
    def current(actor: Actor = Depends(auth.actor)) -> PolicyOut:
        """The policy in force for the caller's merchant, with its YAML text."""
        return PolicyOut.from_domain(current_policy_source(app.uow_factory, merchant_id=actor.merchant_id))

    @router.get("/versions", response_model=list[PolicyVersionOut])
    def versions(actor: Actor = Depends(auth.actor)) -> list[PolicyVersionOut]:
        """Every saved version, newest first (who, when, what changed)."""
        history = policy_history(app.uow_factory, merchant_id=actor.merchant_id)
        return [PolicyVersionOut.from_domain(info) for info in history]

    @router.put("", response_model=PolicyVersionOut, openapi_extra=ADMIN_ONLY)
    def save(body: PolicyIn, actor: Actor = Depends(auth.admin)) -> PolicyVersionOut:
        """Save a new version, in force at every process's next request (admins only)."""
        tenant = app.tenant(actor.merchant_id)
        saved = save_policy(
            app.uow_factory,
            merchant_id=actor.merchant_id,
            merchant_slug=tenant.merchant.slug,
            source=body.source,
            actor=actor,
            now=clock(),
            note=body.note,
        )
        return PolicyVersionOut.from_domain(saved)

    @router.post("/versions/{version}/restore", response_model=PolicyVersionOut, openapi_extra=ADMIN_ONLY)
    def restore(
        version: Annotated[int, Path(ge=1, le=2_000_000_000)], actor: Actor = Depends(auth.admin)
    ) -> PolicyVersionOut:
        """Put an older version back in force, as a new version (admins only)."""
        tenant = app.tenant(actor.merchant_id)
        restored = restore_policy(
            app.uow_factory,
            merchant_id=actor.merchant_id,
            merchant_slug=tenant.merchant.slug,
            version=version,
            actor=actor,
            now=clock(),
        )
        return PolicyVersionOut.from_domain(restored)

    return router
