"""The workspace's router: the pages, their static files, and who may see them.

Routes parse the request, call one service and render a template; every failure is a page (`PageRoute`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, Path, Response
from fastapi.responses import RedirectResponse

from rapport.bootstrap import Rapport
from rapport.domain.errors import NotFound
from rapport.services.desk.lifecycle import ReplyResult
from rapport.web.desk_pages import add_desk_routes
from rapport.web.login import add_login_routes
from rapport.web.pages import PageRoute
from rapport.web.policy_page import add_policy_routes
from rapport.web.report_page import add_report_routes
from rapport.web.session import viewer_dependency

STATIC_TYPES = {"htmx.min.js": "text/javascript", "workspace.css": "text/css"}


def _static(name: str) -> bytes:
    return files("rapport.web").joinpath("static", name).read_bytes()


def web_router(
    app: Rapport,
    *,
    clock: Callable[[], datetime],
    on_reply: Callable[[ReplyResult], object] | None = None,
) -> APIRouter:
    """The workspace pages over `app`: /login, /logout, /queues, /queues/{name}, /tickets/{id}, /policy,
    /report. `on_reply` hears of every reply an agent sends from them."""
    router = APIRouter(route_class=PageRoute, include_in_schema=False)
    viewer = viewer_dependency(app.uow_factory, clock)
    add_login_routes(router, app, clock=clock, viewer=viewer)
    add_desk_routes(router, app, clock=clock, viewer=viewer, on_reply=on_reply)
    add_policy_routes(router, app, clock=clock, viewer=viewer)
    add_report_routes(router, app, clock=clock, viewer=viewer)
    cached = {name: _static(name) for name in STATIC_TYPES}

    @router.get("/")
    def home() -> Response:
        return RedirectResponse("/queues", status_code=303)

    @router.get("/static/{name}")
    def static(name: Annotated[str, Path(max_length=40)]) -> Response:
        if name not in cached:
            raise NotFound(f"no static file {name}")
        # Vendored files change only with a release; a day's caching spares the round trips.
        headers = {"Cache-Control": "public, max-age=86400"}
        return Response(cached[name], media_type=STATIC_TYPES[name], headers=headers)

    return router
