"""The login and logout pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from rapport.bootstrap import Rapport
from rapport.domain.errors import Forbidden, Unauthenticated
from rapport.services.access import login, logout
from rapport.web.pages import render
from rapport.web.session import (
    CSRF_FIELD,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Viewer,
    form_of,
    new_login_token,
    safe_next,
    same_token,
    secure_cookie,
)


def _login_page(
    request: Request,
    *,
    next_path: str,
    status: int = 200,
    error: str = "",
    merchant: str = "",
    email: str = "",
) -> Response:
    token = new_login_token()
    page = render(
        request,
        "login.html",
        status,
        viewer=None,
        login_token=token,
        next=next_path,
        error=error,
        merchant=merchant,
        email=email,
    )
    page.set_cookie(
        LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=secure_cookie(request), path="/login"
    )
    return page


def add_login_routes(
    router: APIRouter, app: Rapport, *, clock: Callable[[], datetime], viewer: Callable[..., object]
) -> None:
    @router.get("/login")
    def login_form(request: Request, next: Annotated[str | None, Query(max_length=500)] = None) -> Response:
        return _login_page(request, next_path=safe_next(next))

    @router.post("/login")
    async def log_in(request: Request) -> Response:
        form = await form_of(request)
        if not same_token(form.get(CSRF_FIELD), request.cookies.get(LOGIN_COOKIE, "")):
            raise Forbidden("the login form is out of date; reload the page and log in again")
        merchant, email = form.get("merchant", "").strip(), form.get("email", "").strip()
        try:
            opened = await run_in_threadpool(
                login,
                app.uow_factory,
                merchant=merchant,
                email=email,
                password=form.get("password", ""),
                now=clock(),
            )
        except Unauthenticated as exc:
            return _login_page(
                request,
                next_path=safe_next(form.get("next")),
                status=401,
                error=exc.message,
                merchant=merchant,
                email=email,
            )
        done = RedirectResponse(safe_next(form.get("next")), status_code=303)
        done.set_cookie(
            SESSION_COOKIE,
            opened.token,
            # A lifetime, not a date: the browser's clock need not agree with the server's.
            max_age=max(0, int((opened.expires_at - clock()).total_seconds())),
            httponly=True,
            samesite="lax",
            secure=secure_cookie(request),
            path="/",
        )
        done.delete_cookie(LOGIN_COOKIE, path="/login")
        return done

    @router.post("/logout")
    async def log_out(request: Request, _: Viewer = Depends(viewer)) -> Response:
        token = request.cookies.get(SESSION_COOKIE, "")
        await run_in_threadpool(logout, app.uow_factory, token=token, now=clock())
        done = RedirectResponse("/login", status_code=303)
        done.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
        return done
