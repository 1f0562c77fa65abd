"""GET /csat/{token}: the one-click answer of a satisfaction survey, and a small thank-you page.

No key or session: the HMAC signature in the token is the only credential (`services.csat`). The
page is for a customer's browser, so every answer is HTML, and a link that is forged, malformed,
expired or names no ticket of its merchant is a 4xx page (404, or 410 once expired), never a 500. It is
not in the OpenAPI document: like the workspace's pages, it is not an API.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from rapport.bootstrap import Rapport
from rapport.domain.errors import RapportError
from rapport.services.csat import CsatDisabled, CsatLinkExpired, CsatLinkInvalid, record_answer

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}}
h1{{font-size:1.4rem}}</style></head>
<body><h1>{title}</h1><p>{text}</p></body></html>
"""


def page(title: str, text: str, *, status: int = 200) -> HTMLResponse:
    """A small self-contained page (no scripts, no external assets)."""
    return HTMLResponse(_PAGE.format(title=escape(title), text=escape(text)), status_code=status)


def csat_router(app: Rapport, *, clock: Callable[[], datetime]) -> APIRouter:
    """The CSAT route over `app`'s store, checking tokens with `RAPPORT_CSAT_SECRET`."""
    router = APIRouter(include_in_schema=False)

    @router.get("/csat/{token}", response_class=HTMLResponse)
    def answer_survey(token: str) -> HTMLResponse:
        try:
            answer = record_answer(
                app.uow_factory, token=token[:200], secret=app.settings.csat_secret, now=clock()
            )
        except CsatLinkExpired as exc:
            return page("This survey link has expired", f"{exc.message.capitalize()}.", status=410)
        except (CsatLinkInvalid, CsatDisabled):
            return page("This link is not valid", "We could not find the survey it belongs to.", status=404)
        store = _store_name(app, answer.merchant_id)
        return page(
            "Thank you!",
            f"Your rating, {answer.score} out of 5, is recorded. It helps {store} get better. "
            "You can close this page (a click on another score changes your answer).",
        )

    return router


def _store_name(app: Rapport, merchant_id: int) -> str:
    """The merchant's brand name for the page; "us" if its policy cannot be read right now."""
    try:
        return app.tenant(merchant_id).brand.store_name
    except RapportError:
        return "us"
