"""POST /webhooks/shopify: verify and store within Shopify's 5 seconds, process after the response."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

from rapport.connectors.shopify.webhooks import WebhookReceiver


def webhook_router(receiver: WebhookReceiver) -> APIRouter:
    """The webhook route bound to one receiver."""
    router = APIRouter()

    @router.post("/webhooks/shopify")
    async def shopify_webhook(request: Request, background: BackgroundTasks) -> JSONResponse:
        body = await request.body()  # the raw bytes: the HMAC is over them, not over re-encoded JSON
        try:
            receipt = receiver.accept(dict(request.headers), body)
        except OperationalError:
            # Not stored: answer 503 so that Shopify delivers it again later.
            content = {"error": {"code": "store_unavailable", "message": "try again later"}}
            return JSONResponse(status_code=503, content=content)
        if receipt.delivery_id is not None and receipt.status in ("received", "failed"):
            background.add_task(receiver.process, receipt.delivery_id)
        return JSONResponse({"outcome": receipt.outcome, "topic": receipt.topic})

    return router
