"""The policy page: segments with how many customers each holds, limits, queues, the version history;
for admins a validated editor and a restore button (an agent sees it read-only and gets 403 on a POST).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from threading import Lock, Thread
from time import monotonic
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from rapport.bootstrap import Rapport
from rapport.domain.errors import Forbidden
from rapport.policy import Policy, PolicyError, format_duration
from rapport.services.policies import current_policy_source, policy_history, restore_policy, save_policy
from rapport.services.segments import SegmentCount, segment_counts
from rapport.web.pages import log, render
from rapport.web.session import Viewer, form_of


def _configured_source(app: Rapport) -> str:
    """The text of the configured policy file (a merchant that never saved a version uses it)."""
    path = Path(app.policy_override or app.settings.policy_path)
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


class SegmentCounts:
    """The policy page's segment counts, counted in the background and kept per merchant and policy
    version for a few minutes: one SQL query (`services.segments`) takes two to three seconds per
    million customers (docs/benchmarks.md), and a policy with a rule SQL cannot count falls back to
    reading every profile (hours for a large store) — either way longer than a page should wait for."""

    def __init__(self, app: Rapport, *, keep_seconds: float = 600.0) -> None:
        self.app = app
        self.keep_seconds = keep_seconds
        self._kept: dict[tuple[int, int | None], tuple[float, list[SegmentCount]]] = {}
        self._counting: set[tuple[int, int | None]] = set()
        self._lock = Lock()

    def of(self, merchant_id: int, now: datetime) -> list[SegmentCount] | None:
        """The counts, or None while they are being counted (a count is then started if none runs)."""
        tenant = self.app.tenant(merchant_id)
        key = (merchant_id, tenant.policy_version)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and monotonic() - kept[0] < self.keep_seconds:
                return kept[1]
            if key in self._counting:
                return None
            self._counting.add(key)
        Thread(target=self._count, args=(key, tenant.policy, now), daemon=True).start()
        return None

    def _count(self, key: tuple[int, int | None], policy: Policy, now: datetime) -> None:
        try:
            counts = segment_counts(self.app.uow_factory, merchant_id=key[0], policy=policy, now=now)
        except Exception:  # a background count must not die silently; the page keeps saying "counting"
            log.exception("counting the customers of each segment failed")
            counts = None
        with self._lock:
            self._counting.discard(key)
            if counts is not None:
                self._kept[key] = (monotonic(), counts)


def _page_context(app: Rapport, viewer: Viewer, now: datetime) -> dict[str, Any]:
    merchant_id = viewer.actor.merchant_id
    tenant = app.tenant(merchant_id)
    stored = current_policy_source(app.uow_factory, merchant_id=merchant_id)
    return {
        "section": "policy",
        "tenant": tenant,
        "policy": tenant.policy,
        "history": policy_history(app.uow_factory, merchant_id=merchant_id),
        "source": stored.source if stored is not None else _configured_source(app),
        "duration": format_duration,
        "issues": [],
    }


def _require_admin(viewer: Viewer) -> None:
    if not viewer.is_admin:
        raise Forbidden("only an admin may change the policy")


def add_policy_routes(
    router: APIRouter, app: Rapport, *, clock: Callable[[], datetime], viewer: Callable[..., object]
) -> None:
    counter = SegmentCounts(app)

    @router.get("/policy/segments")
    def segments(request: Request, seen: Viewer = Depends(viewer)) -> Response:
        """The segments with their customer counts (the policy page loads it after itself)."""
        counts = counter.of(seen.actor.merchant_id, clock())
        fragment = bool(request.headers.get("HX-Request"))
        name = "_segments_table.html" if fragment else "segments.html"
        return render(request, name, counts=counts, policy=app.tenant(seen.actor.merchant_id).policy)

    @router.get("/policy")
    def policy_page(request: Request, saved: int | None = None, seen: Viewer = Depends(viewer)) -> Response:
        context = _page_context(app, seen, clock())
        notice = f"Saved: version {saved} is now in force." if saved is not None else None
        return render(request, "policy.html", notice=notice, **context)

    @router.post("/policy")
    async def save(request: Request, seen: Viewer = Depends(viewer)) -> Response:
        _require_admin(seen)
        form = await form_of(request)
        source = form.get("source", "").replace("\r\n", "\n")
        tenant = await run_in_threadpool(app.tenant, seen.actor.merchant_id)
        try:
            saved = await run_in_threadpool(
                lambda: save_policy(
                    app.uow_factory,
                    merchant_id=tenant.merchant.id,
                    merchant_slug=tenant.merchant.slug,
                    source=source,
                    actor=seen.actor,
                    now=clock(),
                    note=form.get("note"),
                )
            )
        except PolicyError as exc:
            context = await run_in_threadpool(_page_context, app, seen, clock())
            context.update(source=source, issues=exc.issues, note=form.get("note", ""))
            return render(request, "policy.html", 422, **context)
        return RedirectResponse(f"/policy?saved={saved.version}", status_code=303)

    @router.post("/policy/versions/{version}/restore")
    async def restore(
        request: Request, version: Annotated[int, PathParam(ge=1)], seen: Viewer = Depends(viewer)
    ) -> Response:
        _require_admin(seen)
        tenant = await run_in_threadpool(app.tenant, seen.actor.merchant_id)
        restored = await run_in_threadpool(
            lambda: restore_policy(
                app.uow_factory,
                merchant_id=tenant.merchant.id,
                merchant_slug=tenant.merchant.slug,
                version=version,
                actor=seen.actor,
                now=clock(),
            )
        )
        return RedirectResponse(f"/policy?saved={restored.version}", status_code=303)
