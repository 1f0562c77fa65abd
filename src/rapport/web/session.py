"""Who is looking at the workspace: the session cookie, the CSRF token every form carries, login and
logout.

The cookie is HttpOnly and SameSite=Lax (Secure over https). Every unsafe request also carries the
session's CSRF token, as the form field `csrf_token` or (htmx) the `X-CSRF-Token` header; without it
the answer is a 403 page. The login form, before any session, is protected the same way by a
double-submitted token (a cookie and a hidden field that must match).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from rapport.domain.desk import Actor, Role
from rapport.domain.errors import Forbidden, InvalidInput
from rapport.services.access import session_actor
from rapport.services.ports import UnitOfWorkFactory

SESSION_COOKIE = "rapport_session"
LOGIN_COOKIE = "rapport_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FORM_FIELDS = 50


@dataclass(frozen=True, slots=True)
class Viewer:
    """The person behind a page request, and the CSRF token their forms carry."""

    actor: Actor
    csrf_token: str

    @property
    def email(self) -> str:
        return self.actor.label

    @property
    def role(self) -> Role:
        return self.actor.role

    @property
    def is_admin(self) -> bool:
        return self.actor.role is Role.ADMIN


async def form_of(request: Request) -> dict[str, str]:
    """The urlencoded form of the request (htmx and plain forms send this), first value of each field.

    The API's body limit has already bounded the body."""
    if hasattr(request.state, "form"):
        form: dict[str, str] = request.state.form
        return form
    form = {}
    if request.method not in SAFE_METHODS:
        kind = request.headers.get("content-type", "").split(";")[0].strip()
        if kind and kind != "application/x-www-form-urlencoded":
            raise InvalidInput("the workspace's forms send application/x-www-form-urlencoded")
        try:
            text = (await request.body()).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("the form is not UTF-8") from None
        parsed = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
        form = {name: values[0] for name, values in parsed.items()}
    request.state.form = form
    return form


def same_token(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())


def secure_cookie(request: Request) -> bool:
    return request.url.scheme == "https"


def viewer_dependency(
    uow_factory: UnitOfWorkFactory, clock: Callable[[], datetime]
) -> Callable[[Request], Awaitable[Viewer]]:
    """A dependency: the session's `Viewer` (no session: `Unauthenticated`, which pages turn into the
    login page); on unsafe methods it also checks the CSRF token (missing or wrong: `Forbidden`)."""

    async def viewer(request: Request) -> Viewer:
        token = request.cookies.get(SESSION_COOKIE, "")
        found = await run_in_threadpool(session_actor, uow_factory, token=token, now=clock())
        seen = Viewer(actor=found.actor, csrf_token=found.csrf_token)
        request.state.viewer = seen
        if request.method not in SAFE_METHODS:
            given = request.headers.get(CSRF_HEADER) or (await form_of(request)).get(CSRF_FIELD)
            if not same_token(given, seen.csrf_token):
                raise Forbidden("the form's security token is missing or out of date; reload the page")
        return seen

    return viewer


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path of this site only (never another host)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/queues"
    return target
