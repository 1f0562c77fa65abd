"""The FastAPI app: thin routes over the application's services, every answer a `rapport.schemas` model,
every failure an `ErrorBody` (never a stack trace)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

from fastapi import FastAPI

from rapport.api.errors import install_error_handlers
from rapport.api.tickets import ticket_router
from rapport.api.webhooks import webhook_router
from rapport.bootstrap import Rapport, build
from rapport.config import load_settings
from rapport.connectors.shopify.signals import SignalRules
from rapport.connectors.shopify.webhooks import WebhookReceiver
from rapport.schemas import HealthOut

if TYPE_CHECKING:
    from rapport.store.unit_of_work import UnitOfWork


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    app: Rapport,
    *,
    clock: Callable[[], datetime] = utc_now,
    rules: SignalRules | None = None,
) -> FastAPI:
    """The Rapport API over `app` (from `rapport.bootstrap.build`).

    The policy is loaded now, so a missing or invalid policy stops the server before it answers
    anything, with the same error as the CLI (`InvalidInput`, `PolicyError` with FILE:LINE).
    """
    _ = app.policy
    api = FastAPI(title="Rapport", version="0.1.0")
    install_error_handlers(api)
    receiver = WebhookReceiver(
        # The receiver still asks for the store's concrete unit of work; the app's factory makes them.
        cast("Callable[[], UnitOfWork]", app.uow_factory),
        merchant=app.merchant_slug,
        secret=app.settings.shopify_webhook_secret.get_secret_value(),
        clock=clock,
        rules=rules,
    )
    api.include_router(webhook_router(receiver))
    api.include_router(ticket_router(app, clock=clock))

    @api.get("/healthz", response_model=HealthOut)
    def healthz() -> HealthOut:
        """The process is up (it does not touch the store)."""
        return HealthOut()

    return api


def app_from_environment() -> FastAPI:
    """The app as `uvicorn --factory` builds it in production: settings from the environment."""
    return create_app(build(load_settings()))
