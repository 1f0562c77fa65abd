"""The report page: the outcome report of `rapport report` for the viewer's merchant, with its charts.

Admins and seniors may see it (they run the desk and answer for its SLAs and its generosity); an agent
gets 403. The period comes from `?since=` and `?until=` (ISO 8601 dates or times, both optional).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from rapport.bootstrap import Rapport
from rapport.domain.desk import Role
from rapport.domain.errors import Forbidden
from rapport.schemas import parse_instant
from rapport.services.reports import Report, outcome_report, report_charts, report_notes, report_tables
from rapport.web.pages import render
from rapport.web.session import Viewer

MAY_SEE_REPORTS = frozenset({Role.ADMIN, Role.SENIOR})
DateText = Annotated[str | None, Query(max_length=40)]


def _require_reader(viewer: Viewer) -> None:
    if viewer.role not in MAY_SEE_REPORTS:
        raise Forbidden("only admins and seniors may see the report")


def _report(app: Rapport, viewer: Viewer, *, since: str | None, until: str | None, now: datetime) -> Report:
    tenant = app.tenant(viewer.actor.merchant_id)
    return outcome_report(
        app.uow_factory,
        merchant_id=viewer.actor.merchant_id,
        policy=tenant.policy,
        now=now,
        since=parse_instant(since, where="since") if since else None,
        until=parse_instant(until, where="until") if until else None,
    )


def add_report_routes(
    router: APIRouter, app: Rapport, *, clock: Callable[[], datetime], viewer: Callable[..., object]
) -> None:
    @router.get("/report")
    async def report_page(
        request: Request, since: DateText = None, until: DateText = None, seen: Viewer = Depends(viewer)
    ) -> Response:
        _require_reader(seen)
        report = await run_in_threadpool(lambda: _report(app, seen, since=since, until=until, now=clock()))
        charts = await run_in_threadpool(report_charts, report)
        return render(
            request,
            "report.html",
            section="report",
            report=report,
            tables=report_tables(report),
            notes=report_notes(report),
            charts=[base64.b64encode(chart).decode("ascii") for chart in charts],
            since=since or "",
            until=until or "",
        )
