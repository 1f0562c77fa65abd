"""A bound on request bodies: a pure ASGI middleware that counts the bytes as they arrive.

A declared `Content-Length` above the bound is answered 413 before the app runs; a body sent in chunks
(or with a `Content-Length` that lies) is counted as it streams, and the read that crosses the bound
fails with `BodyTooLarge` (an HTTP 413), so no route ever holds more than `max_bytes` of a body.
Either way the answer is the API's `ErrorBody`: {"error": {"code": "payload_too_large", ...}}.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rapport.api.errors import error_response

CODE = "payload_too_large"


class BodyTooLarge(HTTPException):
    """The request body is above the bound (the API's error handlers answer it 413)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"the request body is larger than {max_bytes:,} bytes")


class BodyLimit:
    """Refuse request bodies above `max_bytes` with a 413 `ErrorBody`, counting streamed bytes."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _declared_length(scope) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            # A route that read the body outside the app's error handlers: answer here, if still possible.
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = BodyTooLarge(self.max_bytes)
        response = error_response(413, CODE, str(error.detail), headers={"Connection": "close"})
        await response(scope, receive, send)


def _declared_length(scope: Scope) -> int:
    """The request's Content-Length, or 0 when absent or not a number (the bytes are counted anyway)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0
