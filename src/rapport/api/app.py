"""The FastAPI app: thin routes over the application's services, every answer a `rapport.schemas` model,
every failure an `ErrorBody` (never a stack trace)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property

from fastapi import FastAPI, Request

from rapport.api.auth import Authenticator, install_auth_errors
from rapport.api.body_limit import BodyLimit
from rapport.api.csat import csat_router
from rapport.api.desk import desk_router
from rapport.api.errors import WEBHOOK_RESPONSES, install_error_handlers
from rapport.api.me import me_router
from rapport.api.metrics import FollowUpBacklog, metrics_for, metrics_router
from rapport.api.policy import policy_router
from rapport.api.readiness import readiness_router
from rapport.api.request_log import RequestLog, configure_logging, note_merchant
from rapport.api.tickets import ticket_router
from rapport.api.webhooks import webhook_router
from rapport.bootstrap import Rapport, build, follow_up_units, start_follow_up_runner
from rapport.config import load_settings
from rapport.domain.desk import Actor
from rapport.schemas import HealthOut
from rapport.services.webhooks import Receipt, WebhookService
from rapport.web import web_router


def utc_now() -> datetime:
    return datetime.now(UTC)


class _Webhooks:
    """The app's webhook service, built on the first delivery: building it opens the merchant in the
    store, and a store that is down then answers that delivery 503 (Shopify retries) instead of
    keeping the server from starting."""

    def __init__(self, app: Rapport, clock: Callable[[], datetime]) -> None:
        self.app = app
        self.clock = clock

    @cached_property
    def service(self) -> WebhookService:
        return self.app.webhooks(clock=self.clock)

    def accept(self, headers: dict[str, str], body: bytes) -> Receipt:
        return self.service.accept(headers, body)

    def process(self, delivery_id: int) -> Receipt:
        return self.service.process(delivery_id)


class _MerchantNotingAuthenticator(Authenticator):
    """The authenticator that also tells the request log whose request it is."""

    async def authenticate(self, request: Request) -> Actor:
        actor = await super().authenticate(request)
        note_merchant(request, actor.merchant_id)
        return actor


def create_app(
    app: Rapport,
    *,
    clock: Callable[[], datetime] = utc_now,
) -> FastAPI:
    """The Rapport API over `app` (from `rapport.bootstrap.build`).

    Request bodies above `RAPPORT_MAX_REQUEST_BYTES` are refused with a 413 `ErrorBody`. The policy is
    loaded now, so a missing or invalid policy stops the server before it answers
    anything, with the same error as the CLI (`InvalidInput`, `PolicyError` with FILE:LINE). The store
    is opened (and migrated) now too, once per process: not by whichever request comes first.
    """
    _ = app.policy
    _ = app.uow_factory
    api = FastAPI(title="Rapport", version="0.1.0")
    install_error_handlers(api)
    install_auth_errors(api)
    # Bodies are counted as they stream (chunked too), so no route ever holds more than the bound.
    api.add_middleware(BodyLimit, max_bytes=app.settings.max_request_bytes)
    # Outermost: every answer (a 413 too) carries its X-Request-ID and gets its log line.
    api.add_middleware(RequestLog)
    metrics = metrics_for(app.settings)
    metrics.registry.register(FollowUpBacklog(lambda: follow_up_units(app), clock))
    api.include_router(webhook_router(_Webhooks(app, clock)), responses=WEBHOOK_RESPONSES)
    # The one-click CSAT answers: signed links, no key (the signature is the credential).
    api.include_router(csat_router(app, clock=clock))
    # Every /v1 route depends on the caller's key or session, and acts for the caller's merchant.
    auth = _MerchantNotingAuthenticator(app, clock=clock)
    api.include_router(ticket_router(app, auth=auth, clock=clock, metrics=metrics))
    api.include_router(desk_router(app, auth=auth, clock=clock, metrics=metrics))
    api.include_router(me_router(app, auth=auth))
    api.include_router(policy_router(app, auth=auth, clock=clock))
    # The agent workspace's pages at / (rapport.web); its replies are counted as the API's are.
    api.include_router(web_router(app, clock=clock, on_reply=metrics.replied))

    @api.get("/healthz", response_model=HealthOut)
    def healthz() -> HealthOut:
        """The process is up (it does not touch the store)."""
        return HealthOut()

    api.include_router(readiness_router(app))
    # Its own credential (RAPPORT_METRICS_TOKEN): a scraper holds no merchant's key.
    api.include_router(metrics_router(metrics, token=app.settings.metrics_token))
    return api


def app_from_environment() -> FastAPI:
    """The app as `uvicorn --factory` builds it in production: settings from the environment.

    With RAPPORT_WORKER_IN_SERVE (a trial on SQLite, one process) the process also sends due follow-ups
    in a daemon thread; claims are leased, so stopping the server abruptly loses none of them."""
    rapport = build(load_settings())
    configure_logging(rapport.settings.log_format)
    api = create_app(rapport)
    api.state.follow_up_runner = start_follow_up_runner(rapport)
    return api
