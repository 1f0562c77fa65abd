"""The FastAPI app: thin routes, one handler turning expected errors into 4xx JSON (never a stack trace)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rapport.api.tickets import ticket_router
from rapport.api.webhooks import webhook_router
from rapport.config import Settings, load_settings
from rapport.connectors.shopify.signals import SignalRules
from rapport.connectors.shopify.webhooks import WebhookReceiver
from rapport.domain.errors import RapportError
from rapport.policy import Policy, default_policy, load_policy
from rapport.services.replies import llm_settings
from rapport.store.unit_of_work import UnitOfWork, units_of_work


def create_app(
    settings: Settings,
    *,
    uow_factory: Callable[[], UnitOfWork] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    rules: SignalRules | None = None,
    policy: Policy | None = None,
) -> FastAPI:
    """The Rapport API for `settings` (the store is migrated on creation unless a factory is given)."""
    if uow_factory is None:
        uow_factory = units_of_work(settings.database_url)
    if policy is None:
        policy = load_policy(settings.policy_path) if settings.policy_path.exists() else default_policy()
    app = FastAPI(title="Rapport", version="0.1.0")
    receiver = WebhookReceiver(
        uow_factory,
        merchant=settings.merchant,
        secret=settings.shopify_webhook_secret.get_secret_value(),
        clock=clock,
        rules=rules,
    )
    app.include_router(webhook_router(receiver))
    app.include_router(
        ticket_router(
            uow_factory, merchant=settings.merchant, policy=policy, llm=llm_settings(settings), clock=clock
        )
    )

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.exception_handler(RapportError)
    async def rapport_error(_: Request, exc: RapportError) -> JSONResponse:
        return error_response(exc.http_status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error_response(422, "invalid_request", f"{where}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = "not_found" if exc.status_code == 404 else f"http_{exc.status_code}"
        return error_response(exc.status_code, code, str(exc.detail))

    return app


def error_response(status: int, code: str, message: str) -> JSONResponse:
    """The one error shape of the API: {"error": {"code", "message"}}."""
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message}})


def app_from_environment() -> FastAPI:
    """The app as `uvicorn --factory` builds it in production: settings from the environment."""
    return create_app(load_settings())
