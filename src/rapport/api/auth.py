"""Who is calling: every /v1 route depends on `Authenticator.actor` (or `person`, `admin`).

Machine clients send `Authorization: Bearer KEY`; people in the workspace send the session cookie
`rapport_session`, and a cookie-authenticated request that changes something (POST, PUT, PATCH, DELETE)
must carry the session's CSRF token (header `X-CSRF-Token` or form field `csrf_token`), else 403.

Routes declare who may call them in the OpenAPI document, which the isolation test reads:
`openapi_extra=PERSON_ONLY` or `ADMIN_ONLY` (`x-rapport-role`); routes without it are open to any
authenticated caller of the merchant.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from rapport.api.errors import error_response
from rapport.bootstrap import Rapport
from rapport.domain.desk import Actor, Role
from rapport.domain.errors import Forbidden, Unauthenticated
from rapport.services.access import authenticate_key, session_actor

SESSION_COOKIE = "rapport_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ROLE_EXTENSION = "x-rapport-role"
PERSON_ONLY: dict[str, Any] = {ROLE_EXTENSION: "person"}
ADMIN_ONLY: dict[str, Any] = {ROLE_EXTENSION: "admin"}
CHALLENGE = {"WWW-Authenticate": "Bearer"}
MAX_FORM_BYTES = 1_000_000

# Only for the OpenAPI document (securitySchemes); the checks below read the request themselves.
_bearer = HTTPBearer(auto_error=False, description="An API key: `rapport key create --merchant NAME`")
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="The workspace session")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Authenticator:
    """The FastAPI dependencies that turn a request's key or session into an `Actor`.

    Built once per app: `auth = Authenticator(app, clock=clock)`; routes write
    `actor: Actor = Depends(auth.actor)` (any caller), `Depends(auth.person)` (a user, not a machine
    key) or `Depends(auth.admin)` (a user with the admin role)."""

    def __init__(self, app: Rapport, *, clock: Callable[[], datetime] = _utc_now) -> None:
        self.app = app
        self.clock = clock

        async def actor(
            request: Request,
            bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
            cookie: Annotated[str | None, Depends(_cookie)],
        ) -> Actor:
            """The caller: an API key's actor, else the session's person (CSRF-checked when unsafe)."""
            del bearer, cookie  # declared for the OpenAPI security schemes; read below
            return await self.authenticate(request)

        # Defaults, not Annotated: the annotations are strings, and `actor` is not a module name.
        def person(caller: Actor = Depends(actor)) -> Actor:
            if not caller.is_person:
                raise Forbidden("only a person may do this (use a personal key or the workspace)")
            return caller

        def admin(caller: Actor = Depends(person)) -> Actor:
            if caller.role is not Role.ADMIN:
                raise Forbidden("only an admin may do this")
            return caller

        self.actor = actor
        self.person = person
        self.admin = admin

    async def authenticate(self, request: Request) -> Actor:
        """The request's actor; `Unauthenticated` (401) or `Forbidden` (403, a missing CSRF token)."""
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, key = header.partition(" ")
            if scheme.lower() != "bearer" or not key.strip():
                raise Unauthenticated("the Authorization header must be `Bearer KEY`")
            # The store is read off the event loop, as the sync routes are.
            return await run_in_threadpool(
                authenticate_key, self.app.uow_factory, raw_key=key.strip(), now=self.clock()
            )
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            raise Unauthenticated("an API key (Authorization: Bearer KEY) or a workspace session is required")
        found = await run_in_threadpool(session_actor, self.app.uow_factory, token=token, now=self.clock())
        if request.method in UNSAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER) or await _form_csrf(request)
            if not sent or not hmac.compare_digest(sent.encode(), found.csrf_token.encode()):
                raise Forbidden("the CSRF token is missing or wrong; reload the page and try again")
        return found.actor


async def _form_csrf(request: Request) -> str | None:
    """The `csrf_token` field of a urlencoded form body, if any (read once; the route reads it again)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    parsed = getattr(request, "_form", None)  # a route with Form fields has parsed the body already
    if parsed is not None:
        value = parsed.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    if content_type == "application/x-www-form-urlencoded":
        try:
            body = await request.body()
        except RuntimeError:  # the stream was consumed without keeping the body
            return None
        if len(body) > MAX_FORM_BYTES:
            return None
        values = parse_qs(body.decode("latin-1"), max_num_fields=1000).get(CSRF_FIELD)
        return values[0] if values else None
    if content_type == "multipart/form-data":
        try:
            form = await request.form()
        except Exception:  # noqa: BLE001 - no multipart parser installed, or a malformed body: no token
            return None
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


def install_auth_errors(api: FastAPI) -> None:
    """401 answers say how to authenticate (`WWW-Authenticate: Bearer`), with the usual `ErrorBody`."""

    @api.exception_handler(Unauthenticated)
    async def unauthenticated(_: Request, exc: Unauthenticated) -> JSONResponse:
        return error_response(401, exc.code, exc.message, headers=CHALLENGE)


def set_session_cookie(response: Response, token: str, *, expires_at: datetime, secure: bool) -> None:
    """Give the browser its session (HttpOnly, SameSite=Lax; `secure` behind HTTPS)."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        expires=expires_at,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
