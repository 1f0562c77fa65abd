"""POST /webhooks/shopify: verify and store within Shopify's 5 seconds, process after the response."""

from __future__ import annotations

from typing import Protocol

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse

from rapport.domain.errors import StoreUnavailable
from rapport.services.webhooks import Receipt


class Webhooks(Protocol):
    """`rapport.services.webhooks.WebhookService` (from `bootstrap.Rapport.webhooks()`)."""

    def accept(self, headers: dict[str, str], body: bytes) -> Receipt: ...
    def process(self, delivery_id: int) -> Receipt: ...


def webhook_router(webhooks: Webhooks) -> APIRouter:
    """The webhook route bound to one webhook service."""
    router = APIRouter()

    @router.post("/webhooks/shopify")
    async def shopify_webhook(request: Request, background: BackgroundTasks) -> JSONResponse:
        body = await request.body()  # the raw bytes: the HMAC is over them, not over re-encoded JSON
        try:
            receipt = webhooks.accept(dict(request.headers), body)
        except StoreUnavailable:
            # Not stored: answer 503 so that Shopify delivers it again later.
            content = {"error": {"code": StoreUnavailable.code, "message": "try again later"}}
            return JSONResponse(status_code=503, content=content)
        if receipt.needs_processing and receipt.delivery_id is not None:
            background.add_task(webhooks.process, receipt.delivery_id)
        return JSONResponse({"outcome": receipt.outcome, "topic": receipt.topic})

    return router
