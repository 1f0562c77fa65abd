"""Prometheus metrics of the API (`GET /metrics`, docs/deployment.md lists them with their meaning).

Everything is observed at the API layer, from what the services return: a ticket is counted when a
route stores it, a first response when the reply route's ticket shows exactly one agent message, a
guardrail failure when a returned draft (or the kept draft of a new ticket) says so. The follow-up
backlog is not kept in the process at all: it is one indexed COUNT, run when Prometheus scrapes.

Each app has its own metrics (tests build many apps in one process). With `rapport serve --workers N`
every worker is a process with its own counters; set PROMETHEUS_MULTIPROC_DIR (an empty directory,
shared by the workers, emptied before they start) and prometheus_client writes them to files there, so
that whichever worker answers the scrape reports the sum over all of them.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cached_property
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import values as prometheus_values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from pydantic import SecretStr

from rapport.api.errors import ERROR_RESPONSES
from rapport.config import Settings
from rapport.domain.errors import InvalidInput, RapportError, Unauthenticated
from rapport.drafting import Draft
from rapport.services.desk.intake import IntakeOutcome, IntakeResult
from rapport.services.desk.lifecycle import ReplyResult
from rapport.services.follow_ups.store_port import FollowUpUnitOfWorkFactory
from rapport.services.triage import TriageResult

log = logging.getLogger("rapport.api.metrics")

# Seconds: triage is a few milliseconds on a warm store, an intake with an LLM draft several seconds.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
GUARDRAIL_FALLBACK = "guardrails:"  # how LLMDrafter's fallback_reason names a draft the guardrails refused

_metrics_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="MetricsToken",
    description="RAPPORT_METRICS_TOKEN (GET /metrics only; not an API key)",
)


class ApiMetrics:
    """The counters and histograms one API app updates, and the registry `/metrics` exposes."""

    def __init__(self, *, multiprocess_dir: str | None = None) -> None:
        # In multiprocess mode the values live in files; the scrape reads them all, not this process's.
        own = None if multiprocess_dir else CollectorRegistry()
        self.tickets = Counter(
            "rapport_tickets",
            "Tickets stored through the API (POST /v1/tickets new tickets, triages with record: true), "
            "by the queue the decision routed them to and the customer's segment",
            ("queue", "segment"),
            registry=own,
        )
        self.first_responses = Counter(
            "rapport_first_responses",
            "First agent replies sent through POST /v1/tickets/{id}/reply, by the ticket's home queue",
            ("queue",),
            registry=own,
        )
        self.sla_breaches = Counter(
            "rapport_sla_breaches",
            "First agent replies sent after the ticket's first-response due time, by home queue",
            ("queue",),
            registry=own,
        )
        self.triage_seconds = Histogram(
            "rapport_triage_seconds",
            "Time to triage one message in POST /v1/tickets/triage and /v1/tickets/draft (no drafting)",
            buckets=LATENCY_BUCKETS,
            registry=own,
        )
        self.intake_seconds = Histogram(
            "rapport_intake_seconds",
            "Time to take in one message in POST /v1/tickets: triage, draft and store",
            buckets=LATENCY_BUCKETS,
            registry=own,
        )
        self.guardrail_failures = Counter(
            "rapport_guardrail_failures",
            "Drafts the guardrails refused, by the drafter that wrote them (an llm draft refused is "
            "replaced by the template draft; a template draft refused is returned flagged)",
            ("drafter",),
            registry=own,
        )
        if own is None:
            self.registry = CollectorRegistry()
            MultiProcessCollector(self.registry, path=multiprocess_dir)  # type: ignore[no-untyped-call]
        else:
            self.registry = own
            ProcessCollector(registry=own)  # process_cpu_seconds_total, memory, open fds (one process only)

    # -- observations, from what the routes' services returned -------------------------------------------

    def triaged(self, result: TriageResult, *, recorded: bool) -> None:
        if recorded:
            self.tickets.labels(result.decision.queue, result.decision.segment).inc()

    def drafted(self, draft: Draft) -> None:
        passed = None if draft.guardrails is None else draft.guardrails.passed
        self._guardrails(draft.drafter, passed, draft.fallback_reason)

    def taken_in(self, result: IntakeResult) -> None:
        """A new ticket and its kept draft (an appended message or a retry stores neither)."""
        if result.outcome is not IntakeOutcome.CREATED:
            return
        ticket = result.view.ticket
        self.tickets.labels(ticket.home_queue, ticket.segment).inc()
        kept = result.view.draft
        if kept is not None and kept.guardrails is not None:
            facts = kept.guardrails
            drafter = kept.draft_source or "template"
            self._guardrails(drafter, facts.get("passed"), facts.get("fallback_reason"))

    def replied(self, result: ReplyResult) -> None:
        """The ticket's first response, on time or late (a later reply or a replayed one counts nothing)."""
        ticket = result.view.ticket
        agent_replies = sum(1 for message in result.view.messages if message.author == "agent")
        if result.replayed or agent_replies != 1 or ticket.first_responded_at is None:
            return
        self.first_responses.labels(ticket.home_queue).inc()
        if ticket.first_responded_at > ticket.first_response_due:
            self.sla_breaches.labels(ticket.home_queue).inc()

    def _guardrails(self, drafter: str, passed: object, fallback_reason: object) -> None:
        if isinstance(fallback_reason, str) and fallback_reason.startswith(GUARDRAIL_FALLBACK):
            self.guardrail_failures.labels("llm").inc()
        if passed is False:
            self.guardrail_failures.labels(drafter).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class FollowUpBacklog(Collector):
    """`rapport_follow_ups_due`, counted when Prometheus scrapes: follow-ups a worker could claim now
    (scheduled and due, failed and due again, or sending with a lapsed lease). One COUNT over the
    (status, next_attempt_at) index, whichever process answers; a store that is down leaves it out."""

    NAME = "rapport_follow_ups_due"
    HELP = "Follow-ups due now and not yet sent (the workers' backlog), over every merchant"

    def __init__(self, units: Callable[[], FollowUpUnitOfWorkFactory], clock: Callable[[], datetime]) -> None:
        self._units_source = units  # called at the first scrape, so building the app opens nothing more
        self.clock = clock

    @cached_property
    def units(self) -> FollowUpUnitOfWorkFactory:
        return self._units_source()

    def describe(self) -> Iterable[Metric]:
        return [GaugeMetricFamily(self.NAME, self.HELP)]

    def collect(self) -> Iterable[Metric]:
        try:
            with self.units() as uow:
                due = uow.follow_ups.count_due(now=self.clock())
        except RapportError as exc:  # StoreUnavailable: the other metrics still answer
            log.warning("follow-up backlog not counted: %s", exc.code)
            return []
        return [GaugeMetricFamily(self.NAME, self.HELP, value=due)]


def metrics_for(settings: Settings) -> ApiMetrics:
    """The app's metrics; multiprocess when PROMETHEUS_MULTIPROC_DIR is set, which prometheus_client
    itself must have seen in the environment when it was imported (it picks its value store then)."""
    directory = settings.prometheus_multiproc_dir
    if directory is None:
        return ApiMetrics()
    if prometheus_values.ValueClass is prometheus_values.MutexValue:
        raise InvalidInput(
            "PROMETHEUS_MULTIPROC_DIR must be set in the environment of the process, not only in .env"
        )
    if not directory.is_dir():
        raise InvalidInput(f"PROMETHEUS_MULTIPROC_DIR {directory} is not a directory (create it, empty)")
    return ApiMetrics(multiprocess_dir=str(directory))


def metrics_router(metrics: ApiMetrics, *, token: SecretStr) -> APIRouter:
    """`GET /metrics` for callers with the metrics token; 401 without it, and to everyone when none is
    configured (one answer either way, as the route's published security promises)."""
    router = APIRouter(tags=["operations"])
    expected = token.get_secret_value().encode()

    @router.get(
        "/metrics",
        response_class=Response,
        responses={
            200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text exposition"},
            401: {
                **ERROR_RESPONSES[401],
                "description": "Not the metrics token (RAPPORT_METRICS_TOKEN; unset, metrics are off)",
            },
            500: ERROR_RESPONSES[500],
        },
    )
    def metrics_page(
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_metrics_bearer)],
    ) -> Response:
        """The Prometheus metrics of the API processes (text exposition format)."""
        sent = (bearer.credentials if bearer is not None else "").encode()
        if not expected or not hmac.compare_digest(sent, expected):
            raise Unauthenticated(
                "GET /metrics needs Authorization: Bearer <RAPPORT_METRICS_TOKEN> (unset: metrics are off)"
            )
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return router
