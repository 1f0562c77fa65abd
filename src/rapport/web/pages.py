"""Rendering the workspace: the Jinja2 templates, their filters, and failures as pages.

Every failure a page route meets becomes an HTML page with its message and the right status (never a
stack trace); a request without a session is sent to the login page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from rapport.domain.errors import RapportError
from rapport.policy import PolicyError

log = logging.getLogger("rapport.web")

# The status of each expected failure, by its stable code (the API keeps its own, fuller map).
STATUS_BY_CODE: dict[str, int] = {
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "unknown_order": 404,
    "unknown_merchant": 404,
    "conflict": 409,
    "invalid_input": 422,
    "policy_invalid": 422,
    "record_refused": 422,
    "store_unavailable": 503,
}
TITLES = {401: "Please log in", 403: "Not allowed", 404: "Not found", 409: "Not possible now", 422: "Invalid"}

templates = Environment(
    loader=PackageLoader("rapport.web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def money(amount: Decimal | float | int | None, currency: str = "") -> str:
    if amount is None:
        return "—"
    return f"{Decimal(str(amount)):,.2f} {currency}".strip()


def time_left(seconds: float | int | timedelta | None) -> str:
    """`2h 05m left`, `14m left`, or `overdue 1h 10m` (SLA countdowns)."""
    if seconds is None:
        return "—"
    total = int(seconds.total_seconds() if isinstance(seconds, timedelta) else seconds)
    span = abs(total)
    days, rest = divmod(span, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    text = f"{days}d {hours}h" if days else f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"
    return f"{text} left" if total >= 0 else f"overdue {text}"


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else "—"


templates.filters["money"] = money
templates.filters["time_left"] = time_left
templates.filters["when"] = when


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The page `name` with `context`; every page knows the request and who is looking (`viewer`)."""
    context.setdefault("viewer", getattr(request.state, "viewer", None))
    html = templates.get_template(name).render(request=request, **context)
    return HTMLResponse(html, status_code=status)


def error_page(request: Request, status: int, message: str, lines: list[str] | None = None) -> HTMLResponse:
    title = TITLES.get(status, "Something went wrong")
    return render(request, "error.html", status, title=title, message=message, lines=lines or [])


def to_login(request: Request) -> Response:
    """Send a visitor without a session to the login page, then back (htmx follows `HX-Redirect`)."""
    target = request.url.path if request.method == "GET" else "/queues"
    location = f"/login?next={quote(target)}"
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


def failure_page(request: Request, exc: Exception) -> Response:
    if isinstance(exc, RapportError):
        status = STATUS_BY_CODE.get(exc.code, 400)
        if status == 401:
            return to_login(request)
        lines = [str(issue) for issue in exc.issues] if isinstance(exc, PolicyError) else []
        return error_page(request, status, exc.message.splitlines()[0] if lines else exc.message, lines)
    if isinstance(exc, RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error_page(request, 422, f"{where}: {first.get('msg', 'invalid request')}")
    if isinstance(exc, StarletteHTTPException):
        return error_page(request, exc.status_code, str(exc.detail))
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_page(request, 500, "Unexpected error; it has been logged.")


class PageRoute(APIRoute):
    """A route whose failures (its dependencies' too) are pages, not the API's JSON errors."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:  # every failure of a page is shown as a page
                return failure_page(request, exc)

        return page_handler
