"""How the API answers a failure: every error is an `ErrorBody`, and its HTTP status comes from the
error's stable code (the domain and the connectors know codes, never HTTP)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from rapport.domain.errors import RapportError
from rapport.schemas import ErrorBody

log = logging.getLogger("rapport.api")

STATUS_BY_CODE: dict[str, int] = {
    # rapport.domain.errors, rapport.policy
    "invalid_input": 422,
    "unknown_intent": 422,
    "unknown_order": 404,
    "unknown_merchant": 404,
    "policy_invalid": 422,
    "store_unavailable": 503,
    "record_refused": 422,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    # rapport.drafting
    "draft_template_error": 500,
    # rapport.connectors.shopify.errors
    "webhook_unauthorized": 401,
    "webhook_rejected": 400,
    "shopify_not_configured": 400,
    "shopify_error": 502,
    "shopify_unauthorized": 502,
    "shopify_forbidden": 502,
    "shopify_shop_not_found": 502,
    "shopify_unavailable": 502,
    "shopify_query_error": 502,
    "shopify_bulk_operation_failed": 502,
}
DEFAULT_STATUS = 400  # an expected failure whose code is not listed above

CODE_BY_STATUS: dict[int, str] = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}

_ERROR = {"model": ErrorBody}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {**_ERROR, "description": "The body cannot be read (e.g. it is not UTF-8)"},
    401: {**_ERROR, "description": "No valid API key (Authorization: Bearer KEY) or workspace session"},
    403: {**_ERROR, "description": "The caller's role may not do this"},
    404: {**_ERROR, "description": "Not found (an unknown route, or an unknown or foreign order)"},
    413: {**_ERROR, "description": "The body is larger than RAPPORT_MAX_REQUEST_BYTES"},
    422: {**_ERROR, "description": "The request is invalid; the message names the field"},
    500: {**_ERROR, "description": "Unexpected failure (never a stack trace)"},
    503: {**_ERROR, "description": "The store is unavailable; try again later"},
}
"""The error responses every /v1 route documents in the OpenAPI schema."""

WEBHOOK_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {**_ERROR, "description": "The delivery is not a JSON object Shopify sends"},
    401: {**_ERROR, "description": "The X-Shopify-Hmac-Sha256 signature is missing or wrong"},
    413: ERROR_RESPONSES[413],
    500: ERROR_RESPONSES[500],
    503: {**_ERROR, "description": "The delivery could not be stored; Shopify delivers it again later"},
}
"""The answers of POST /webhooks/shopify besides 200 (its route is in api/webhooks.py)."""


def status_for(code: str) -> int:
    """The HTTP status of an expected failure with this code."""
    return STATUS_BY_CODE.get(code, DEFAULT_STATUS)


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The one error shape of the API: {"error": {"code", "message"}}."""
    body = ErrorBody.of(code, message).model_dump(mode="json")
    return JSONResponse(status_code=status, content=body, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every failure with an `ErrorBody`: expected errors, validation, HTTP errors, and bugs."""

    @app.exception_handler(RapportError)
    async def rapport_error(_: Request, exc: RapportError) -> JSONResponse:
        return error_response(status_for(exc.code), exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error_response(422, "invalid_request", f"{where}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = CODE_BY_STATUS.get(exc.status_code, f"http_{exc.status_code}")
        headers = exc.headers
        if exc.status_code == 405:
            # Starlette names only the first route of the path; GET and PUT /v1/policy are two routes.
            headers = {**(headers or {}), "Allow": ", ".join(sorted(_allowed_methods(app, request)))}
        return error_response(exc.status_code, code, str(exc.detail), headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(500, "internal_error", "unexpected error; it has been logged")


def _allowed_methods(app: FastAPI, request: Request) -> set[str]:
    """Every method some route answers at this path: the request's scope tried with each method, as
    the router itself would match it (path converters included)."""
    allowed = set()
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in app.router.routes):
            allowed.add(method)
    return allowed
