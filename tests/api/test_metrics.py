"""GET /metrics: the Prometheus metrics of the API, behind RAPPORT_METRICS_TOKEN (401 without it, and to
everyone when none is configured); tickets by queue and segment, first responses and SLA breaches, triage
and intake latency, guardrail failures, and the follow-up backlog counted at scrape time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import Engine

from follow_up_seeds import DUE, seed_due_follow_ups
from rapport.api import create_app
from rapport.bootstrap import build
from rapport.domain import CustomerProfile, Decision, Ticket
from rapport.drafting import BrandSettings, Draft, TemplateDrafter
from rapport.drafting.draft import GuardrailReport, Violation
from rapport.policy import default_policy
from rapport.services.access import add_user, create_key
from rapport.services.importing import import_jsonl
from rapport.store.unit_of_work import UnitOfWork

from .conftest import NOW, SHOP, STORE, bearer, key_for, settings

TOKEN = "metrics-token-for-tests"
DANA = "dana.lee@example.com"  # a VIP: the priority queue (first response within 1h)
DAMAGED = "My bowl set arrived chipped, order #1042."


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class RefusedDrafter:
    """A drafter whose drafts the guardrails refused: an LLM draft replaced by a failing template draft."""

    def draft(
        self, ticket: Ticket, profile: CustomerProfile, decision: Decision, brand: BrandSettings
    ) -> Draft:
        draft = TemplateDrafter().draft(ticket, profile, decision, brand)
        report = GuardrailReport.of([Violation("money_not_decided", "states an amount not decided")])
        reason = "guardrails: money_not_decided (after one retry)"
        return replace(draft, guardrails=report, fallback_reason=reason)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def make_metered_app(uow_factory: Callable[[], UnitOfWork], clock: Clock) -> Callable[..., FastAPI]:
    """The API over the test store (Dana, Lena, Sam) with RAPPORT_METRICS_TOKEN set."""
    assert not import_jsonl(uow_factory, path=STORE, merchant="default").errors

    def make(*, drafter: object | None = None) -> FastAPI:
        app = build(
            settings(shopify_shop=SHOP, metrics_token=SecretStr(TOKEN)),
            policy=default_policy(),
            uow_factory=uow_factory,
            create_merchant=True,
        )
        _ = app.merchant
        if drafter is not None:
            app.drafter = drafter  # type: ignore[misc,assignment]
        return create_app(app, clock=clock)

    return make


@pytest.fixture
def metered(make_metered_app: Callable[..., FastAPI], uow_factory: Callable[[], UnitOfWork]) -> TestClient:
    """A client of the metered app sending a machine key of the default merchant."""
    app = make_metered_app()
    return TestClient(app, raise_server_exceptions=False, headers=bearer(key_for(uow_factory)))


def scrape(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of GET /metrics, by name and labels."""
    answer = client.get("/metrics", headers=bearer(TOKEN))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def post_ticket(client: TestClient) -> int:
    body = {"email": DANA, "name": "Dana Lee", "subject": "Chipped bowls", "body": DAMAGED}
    created = client.post("/v1/tickets", json=body)
    assert created.status_code == 201, created.text
    return int(created.json()["ticket"]["id"])


def test_a_ticket_taken_in_is_counted_by_its_queue_and_segment(metered: TestClient) -> None:
    post_ticket(metered)
    samples = scrape(metered)
    assert value(samples, "rapport_tickets_total", queue="priority", segment="vip") == 1
    assert value(samples, "rapport_intake_seconds_count") == 1
    assert value(samples, "rapport_intake_seconds_sum") > 0


def test_a_message_appended_to_an_open_ticket_is_not_a_new_ticket(metered: TestClient) -> None:
    post_ticket(metered)
    again = metered.post("/v1/tickets", json={"email": DANA, "body": "Any news?"})
    assert again.json()["outcome"] == "appended"
    samples = scrape(metered)
    assert value(samples, "rapport_tickets_total", queue="priority", segment="vip") == 1
    assert value(samples, "rapport_intake_seconds_count") == 2


def test_a_recorded_triage_is_counted_and_a_preview_is_not(metered: TestClient) -> None:
    ticket = {"email": DANA, "message": DAMAGED}
    assert metered.post("/v1/tickets/triage", json=ticket).status_code == 200
    assert metered.post("/v1/tickets/triage", json={**ticket, "record": True}).status_code == 200
    samples = scrape(metered)
    assert value(samples, "rapport_tickets_total", queue="priority", segment="vip") == 1
    assert value(samples, "rapport_triage_seconds_count") == 2


def test_metrics_without_the_token_is_a_401_error_body(metered: TestClient) -> None:
    for headers in ({}, bearer("not-the-token"), {"Authorization": f"Basic {TOKEN}"}):
        answer = metered.get("/metrics", headers=headers)
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "unauthenticated"
        assert answer.headers["www-authenticate"] == "Bearer"


def test_an_api_key_is_not_the_metrics_token(metered: TestClient) -> None:
    # `metered` sends a valid machine key of the merchant: it does not open /metrics.
    answer = metered.get("/metrics")
    assert answer.status_code == 401


def test_metrics_refuse_every_caller_without_a_configured_token(make_app: Callable[..., FastAPI]) -> None:
    client = TestClient(make_app(), raise_server_exceptions=False)
    for headers in ({}, bearer(TOKEN), bearer("")):
        answer = client.get("/metrics", headers=headers)
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "unauthenticated"


def agent_client(app: FastAPI, uow_factory: Callable[[], UnitOfWork]) -> TestClient:
    add_user(uow_factory, merchant="default", email="ann@acme.test", role="agent", password="x" * 12, now=NOW)
    key = create_key(uow_factory, merchant="default", now=NOW, user_email="ann@acme.test").secret
    return TestClient(app, raise_server_exceptions=False, headers=bearer(key))


def test_a_late_first_reply_is_a_breach_and_a_second_reply_counts_nothing(
    make_metered_app: Callable[..., FastAPI], uow_factory: Callable[[], UnitOfWork], clock: Clock
) -> None:
    app = make_metered_app()
    machine = TestClient(app, raise_server_exceptions=False, headers=bearer(key_for(uow_factory)))
    agent = agent_client(app, uow_factory)
    ticket_id = post_ticket(machine)
    assert agent.post(f"/v1/tickets/{ticket_id}/claim").status_code == 200
    clock.now = NOW + timedelta(hours=2)  # the priority queue answers within 1h
    for text in ("We are on it.", "We will write again tomorrow."):
        answer = agent.post(f"/v1/tickets/{ticket_id}/reply", json={"body": text})
        assert answer.status_code == 200, answer.text
    samples = scrape(machine)
    assert value(samples, "rapport_first_responses_total", queue="priority") == 1
    assert value(samples, "rapport_sla_breaches_total", queue="priority") == 1


def test_a_first_reply_on_time_is_not_a_breach(
    make_metered_app: Callable[..., FastAPI], uow_factory: Callable[[], UnitOfWork], clock: Clock
) -> None:
    app = make_metered_app()
    machine = TestClient(app, raise_server_exceptions=False, headers=bearer(key_for(uow_factory)))
    agent = agent_client(app, uow_factory)
    ticket_id = post_ticket(machine)
    agent.post(f"/v1/tickets/{ticket_id}/claim")
    clock.now = NOW + timedelta(minutes=30)
    assert agent.post(f"/v1/tickets/{ticket_id}/reply", json={"body": "We are on it."}).status_code == 200
    samples = scrape(machine)
    assert value(samples, "rapport_first_responses_total", queue="priority") == 1
    assert value(samples, "rapport_sla_breaches_total", queue="priority") == 0


def test_drafts_the_guardrails_refuse_are_counted_by_drafter(
    make_metered_app: Callable[..., FastAPI], uow_factory: Callable[[], UnitOfWork]
) -> None:
    app = make_metered_app(drafter=RefusedDrafter())
    client = TestClient(app, raise_server_exceptions=False, headers=bearer(key_for(uow_factory)))
    assert client.post("/v1/tickets/draft", json={"email": DANA, "message": DAMAGED}).status_code == 200
    post_ticket(client)
    samples = scrape(client)
    assert value(samples, "rapport_guardrail_failures_total", drafter="llm") == 2
    assert value(samples, "rapport_guardrail_failures_total", drafter="template") == 2


def test_drafts_that_pass_count_no_guardrail_failure(metered: TestClient) -> None:
    assert metered.post("/v1/tickets/draft", json={"email": DANA, "message": DAMAGED}).status_code == 200
    post_ticket(metered)
    samples = scrape(metered)
    assert value(samples, "rapport_guardrail_failures_total", drafter="template") == 0
    assert value(samples, "rapport_guardrail_failures_total", drafter="llm") == 0


def test_the_follow_up_backlog_is_what_is_due_at_the_scrape(
    metered: TestClient, engine: Engine, clock: Clock
) -> None:
    seed_due_follow_ups(engine, 3)
    clock.now = DUE - timedelta(minutes=1)
    assert value(scrape(metered), "rapport_follow_ups_due") == 0
    clock.now = DUE
    assert value(scrape(metered), "rapport_follow_ups_due") == 3
