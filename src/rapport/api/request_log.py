"""One log line per request, under the request's id: a pure ASGI middleware and the log formats.

The id is the caller's `X-Request-ID` when it is a plain token (letters, digits, `._:-`, at most 128
characters), else a new one; the answer carries it back in `X-Request-ID`, and every record logged
while the request runs has it as `request_id` (a proxy's or help desk's id then finds Rapport's lines).

The line holds the method, the route's path template (`/v1/tickets/{ticket_id}`, never the path sent,
which may hold an e-mail address), the status, the duration in milliseconds, the merchant id once the
caller is authenticated, and the request id. Never headers, query strings or bodies: keys, cookies and
customers' messages stay out of the logs.

`RAPPORT_LOG_FORMAT=json` writes each record as one JSON object (for a log collector); plain otherwise.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from contextvars import ContextVar
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"
ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
UNMATCHED = "<unmatched>"  # no route answered: the path sent is not logged (it may be anything)
MERCHANT_KEY = "rapport.merchant_id"  # where the authenticator leaves the caller's merchant in the scope
FIELDS = ("method", "path", "status", "duration_ms", "merchant_id", "request_id")

log = logging.getLogger("rapport.request")
current_request_id: ContextVar[str | None] = ContextVar("rapport_request_id", default=None)


def note_merchant(request: Request, merchant_id: int) -> None:
    """Say whose request this is, for its log line (called once the caller is authenticated)."""
    request.scope[MERCHANT_KEY] = merchant_id


class RequestLog:
    """Give every HTTP request an id (echoed in `X-Request-ID`) and log one line when it is answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        status = 500  # what the server answers when the app raises before it starts a response

        async def tagged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER.encode()]
                message = {**message, "headers": [*headers, (HEADER.encode(), request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, tagged)
        finally:
            _log_request(scope, status, time.perf_counter() - started, request_id)
            current_request_id.reset(token)


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == HEADER.encode():
            sent = str(value.decode("latin-1"))
            if ACCEPTED_ID.fullmatch(sent):
                return sent
            break
    return secrets.token_hex(16)  # 128 random bits, as a uuid4 holds, at a fraction of its cost


def _log_request(scope: Scope, status: int, seconds: float, request_id: str) -> None:
    route = scope.get("route")
    path = getattr(route, "path", None) or UNMATCHED
    fields: dict[str, Any] = {
        "method": scope.get("method"),
        "path": path,
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "merchant_id": scope.get(MERCHANT_KEY),
        "request_id": request_id,
    }
    log.info(
        "%s %s %s %.1f ms", fields["method"], path, status, fields["duration_ms"], extra={"request": fields}
    )


class RequestIdFilter(logging.Filter):
    """Stamp every record with the id of the request it was logged under (None outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the request id, and for the request
    line its fields (method, path, status, duration_ms, merchant_id)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id.get(),
        }
        request = getattr(record, "request", None)
        if isinstance(request, dict):
            line.update(request)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


JsonFormatter.converter = time.gmtime  # timestamps in UTC, as the trailing Z says


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is when a record comes (as logging's last-resort handler does)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


PLAIN = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
_HANDLER_MARK = "rapport_request_log"


def configure_logging(log_format: str) -> None:
    """Send Rapport's records (INFO and up) to stderr, as JSON or plain lines; idempotent.

    With JSON the request line replaces uvicorn's access log, which is plain and logs the path sent."""
    logger = logging.getLogger("rapport")
    for handler in list(logger.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            logger.removeHandler(handler)
    handler = _StderrHandler()
    setattr(handler, _HANDLER_MARK, True)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(PLAIN))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logging.getLogger("uvicorn.access").disabled = log_format == "json"
