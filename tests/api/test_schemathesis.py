"""Schemathesis over every route of the API, as `schemathesis run --checks all --mode all` would: the
examples, coverage and fuzzing phases, positive and negative data, every check. No input is a server
error, and every answer has the status, headers and shape the OpenAPI schema publishes.

On a temporary SQLite store holding examples/store.jsonl; at most 25 examples per route and phase, a
fixed seed (the same run every time). The webhook route authenticates by HMAC, so generated deliveries
are mostly answered 401; it is in the run all the same, and must never be a 500. The /v1 routes get a
machine key of the store's merchant (its `ignored_auth` check also sends none, and a wrong one).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

from rapport.api import create_app
from rapport.bootstrap import build
from rapport.policy import default_policy
from rapport.services.importing import import_jsonl
from rapport.store.database import make_engine, session_factory, upgrade
from rapport.store.unit_of_work import factory_for
from store_builders import sqlite_url

from .conftest import key_for, settings

EXAMPLES = Path(__file__).parents[2] / "examples" / "store.jsonl"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ROUTES = {
    "POST /v1/tickets/triage",
    "POST /v1/tickets/draft",
    "GET /v1/customers/{email}",
    "POST /webhooks/shopify",
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",  # RAPPORT_METRICS_TOKEN is unset in this run: always 401, never a 500
    "GET /v1/me",
    "POST /v1/tickets",
    "GET /v1/tickets/{ticket_id}",
    "GET /v1/queues",
    "GET /v1/queues/{name}/tickets",
    "GET /v1/policy",
    "GET /v1/policy/versions",
}
# Routes only a person may call (`x-rapport-role: person`): the run's machine key is refused them (403).
PERSON_ROUTES = {
    "POST /v1/queues/{name}/claim",
    "POST /v1/tickets/{ticket_id}/claim",
    "POST /v1/tickets/{ticket_id}/reply",
    "POST /v1/tickets/{ticket_id}/resolve",
    "POST /v1/tickets/{ticket_id}/escalate",
    "POST /v1/tickets/{ticket_id}/reopen",
}
# Routes only an admin may call (`x-rapport-role: admin`): refused to the machine key (403) too.
ADMIN_ROUTES = {"PUT /v1/policy", "POST /v1/policy/versions/{version}/restore"}
# Schemathesis's list of the statuses that reject invalid data, plus 413: a generated body above
# RAPPORT_MAX_REQUEST_BYTES is refused before it is parsed, which is a rejection too.
REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]
CONFIG = {
    "seed": 20261120,
    "generation": {"mode": "all", "max-examples": 25},
    "phases": {"stateful": {"enabled": False}},  # the schema has no links: nothing to chain
    "checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}},
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> list[events.EngineEvent]:
    """Every event of one Schemathesis run over the app (one run for the module's tests)."""
    engine = make_engine(sqlite_url(str(tmp_path_factory.mktemp("schemathesis") / "rapport.db")))
    upgrade(engine)
    uow_factory = factory_for(session_factory(engine))
    assert not import_jsonl(uow_factory, path=EXAMPLES, merchant="default").errors
    app = create_app(build(settings(), policy=default_policy(), uow_factory=uow_factory), clock=lambda: NOW)
    config = CONFIG | {"headers": {"Authorization": f"Bearer {key_for(uow_factory)}"}}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=SchemathesisConfig.from_dict(config))
    schema.config.checks.update(included_check_names=["all"])
    try:
        return list(from_schema(schema).execute())
    finally:
        engine.dispose()


def scenarios(run: list[events.EngineEvent]) -> Iterator[events.ScenarioFinished]:
    yield from (event for event in run if isinstance(event, events.ScenarioFinished))


def test_the_run_finishes_without_an_error(run: list[events.EngineEvent]) -> None:
    errors = [event for event in run if isinstance(event, events.NonFatalError | events.FatalError)]
    assert [str(getattr(e, "info", e)) for e in errors] == []
    assert isinstance(run[-1], events.EngineFinished)


def test_every_route_is_in_the_run_with_every_check(run: list[events.EngineEvent]) -> None:
    ran: dict[str, set[str]] = {}
    for scenario in scenarios(run):
        for checks in scenario.recorder.checks.values():
            ran.setdefault(scenario.recorder.label, set()).update(check.name for check in checks)
    assert set(ran) == ROUTES | PERSON_ROUTES | ADMIN_ROUTES
    assert {label for label, names in ran.items() if "not_a_server_error" not in names} == set()
    assert {"response_schema_conformance", "negative_data_rejection", "unsupported_method"} <= ran[
        "GET /healthz"
    ]


def _title(check: Any) -> str:
    return check.failure_info.failure.title if check.failure_info else ""


def test_no_input_is_a_server_error_or_an_answer_off_the_schema(run: list[events.EngineEvent]) -> None:
    failures = sorted(
        {
            (
                scenario.recorder.label,
                check.name,
                check.failure_info.failure.title if check.failure_info else "",
            )
            for scenario in scenarios(run)
            for checks in scenario.recorder.checks.values()
            for check in checks
            if check.status.name == "FAILURE"
        }
    )
    assert failures == []


def test_the_v1_routes_were_answered_with_the_key_not_only_refused(run: list[events.EngineEvent]) -> None:
    statuses: dict[str, set[int]] = {}
    for scenario in scenarios(run):
        for interaction in scenario.recorder.interactions.values():
            if interaction.response is not None:
                statuses.setdefault(scenario.recorder.label, set()).add(interaction.response.status_code)
    answered = {
        label for label, seen in statuses.items() if label.split(" ")[1].startswith("/v1/") and 200 in seen
    }
    assert answered == {label for label in ROUTES if " /v1/" in label}
    refused = PERSON_ROUTES | ADMIN_ROUTES
    assert {label for label in refused if 403 not in statuses.get(label, set())} == set()
