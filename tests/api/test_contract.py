"""The API's contract: the OpenAPI schema is the real shape of every answer, every error is an
ErrorBody, the server refuses to start without a valid policy, and decisions are stored versioned."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import select

from rapport.api import app_from_environment, create_app
from rapport.bootstrap import build, policy_at
from rapport.config import load_settings
from rapport.domain.errors import InvalidInput
from rapport.policy import PolicyError, default_policy_text
from rapport.schemas import CustomerOut, DraftResponse, ErrorBody, HealthOut, TriageOut
from rapport.services.setup import initialize
from rapport.store.models import DecisionRecord
from rapport.store.unit_of_work import UnitOfWork

from .conftest import NOW, bearer, key_for, settings
from .openapi_check import response_schema, violations

TICKET = {"email": "dana.lee@example.com", "message": "My bowls arrived chipped, order #9001", "intent": None}
OURS = {"/v1/tickets/triage", "/v1/tickets/draft", "/v1/customers/{email}", "/healthz"}
MODELS: dict[tuple[str, str], type[BaseModel]] = {
    ("/v1/tickets/triage", "post"): TriageOut,
    ("/v1/tickets/draft", "post"): DraftResponse,
    ("/v1/customers/{email}", "get"): CustomerOut,
    ("/healthz", "get"): HealthOut,
}


def ref_name(schema: dict[str, Any]) -> str:
    return schema["$ref"].removeprefix("#/components/schemas/").removesuffix("-Output")


def test_every_route_publishes_its_response_model_and_the_error_body(client: TestClient) -> None:
    openapi = client.app.openapi()  # type: ignore[attr-defined]
    assert OURS <= set(openapi["paths"])
    for (path, method), model in MODELS.items():
        assert ref_name(response_schema(openapi, path, method, 200)) == model.__name__, path
        if path.startswith("/v1/"):
            for status in (404, 422):
                assert ref_name(response_schema(openapi, path, method, status)) == "ErrorBody", (path, status)
    assert "HTTPValidationError" not in openapi["components"]["schemas"]  # FastAPI's default 422 shape


def _answers(client: TestClient) -> dict[tuple[str, str], Any]:
    now = NOW.isoformat()
    return {
        ("/v1/tickets/triage", "post"): client.post("/v1/tickets/triage", json={**TICKET, "now": now}),
        ("/v1/tickets/draft", "post"): client.post("/v1/tickets/draft", json={**TICKET, "now": now}),
        ("/v1/customers/{email}", "get"): client.get(
            "/v1/customers/dana.lee@example.com", params={"now": now}
        ),
        ("/healthz", "get"): client.get("/healthz"),
    }


def test_every_answer_has_exactly_the_published_shape(store_client: TestClient) -> None:
    openapi = store_client.app.openapi()  # type: ignore[attr-defined]
    for (path, method), response in _answers(store_client).items():
        assert response.status_code == 200, (path, response.text)
        body = response.json()
        assert violations(body, response_schema(openapi, path, method, 200), openapi) == [], path
        model = MODELS[(path, method)]
        assert model.model_validate(body).model_dump(mode="json") == body, path  # a lossless round trip


def test_a_guest_answer_with_nulls_has_the_published_shape_too(store_client: TestClient) -> None:
    openapi = store_client.app.openapi()  # type: ignore[attr-defined]
    response = store_client.post("/v1/tickets/draft", json={"email": "who@example.net", "message": "hello"})
    schema = response_schema(openapi, "/v1/tickets/draft", "post", 200)
    assert violations(response.json(), schema, openapi) == []
    card = store_client.get("/v1/customers/who@example.net")
    assert (
        violations(card.json(), response_schema(openapi, "/v1/customers/{email}", "get", 200), openapi) == []
    )


def test_the_published_shapes_are_strict(store_client: TestClient) -> None:
    """The checker itself: an extra key, a missing key or a wrong type is caught."""
    openapi = store_client.app.openapi()  # type: ignore[attr-defined]
    schema = response_schema(openapi, "/v1/tickets/triage", "post", 200)
    body = store_client.post("/v1/tickets/triage", json=TICKET).json()
    assert violations({**body, "surprise": 1}, schema, openapi) == ["$: unexpected key 'surprise'"]
    assert violations({k: v for k, v in body.items() if k != "queue"}, schema, openapi) == [
        "$: missing 'queue'"
    ]
    assert violations({**body, "priority": "high"}, schema, openapi) == [
        "$.priority: 'high' is not of type integer"
    ]


def test_every_error_has_the_error_body_shape(store_client: TestClient) -> None:
    openapi = store_client.app.openapi()  # type: ignore[attr-defined]
    errors = [
        store_client.get("/nowhere"),
        store_client.delete("/v1/customers/dana.lee@example.com"),
        store_client.post("/v1/tickets/triage", json={"message": "no e-mail"}),
        store_client.post(
            "/v1/tickets/triage", content=b"{not json", headers={"content-type": "application/json"}
        ),
        store_client.post("/v1/tickets/triage", json={**TICKET, "intent": "teleport"}),
        store_client.post("/v1/tickets/triage", json={**TICKET, "order": "#nope"}),
        store_client.get("/v1/customers/not-an-email"),
    ]
    error_schema = {"$ref": "#/components/schemas/ErrorBody"}
    for response in errors:
        assert response.status_code >= 400
        assert violations(response.json(), error_schema, openapi) == [], response.text
        ErrorBody.model_validate(response.json())
    assert [r.status_code for r in errors] == [404, 405, 422, 422, 422, 404, 422]
    assert errors[1].headers["allow"] == "GET"


# The server starts only with a valid policy, and fails exactly as the CLI does.


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """RAPPORT_* variables for a fresh store in `tmp_path`; returns where the policy file goes."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("RAPPORT_DATABASE_URL", f"sqlite:///{tmp_path / 'rapport.db'}")
    monkeypatch.setenv("RAPPORT_POLICY_PATH", str(tmp_path / "rapport.yaml"))
    return tmp_path / "rapport.yaml"


def test_the_api_refuses_to_start_without_a_policy_file(environment: Path) -> None:
    # It used to fall back silently to the default policy.
    with pytest.raises(InvalidInput) as raised:
        app_from_environment()
    with pytest.raises(InvalidInput) as cli:
        policy_at(environment)
    assert raised.value.message == cli.value.message
    assert "rapport init" in raised.value.message


def test_the_api_refuses_to_start_with_an_invalid_policy_naming_file_and_line(environment: Path) -> None:
    environment.write_text("segments: [\n  - {name: x, when: 'customer.orders_count >= '}\n")
    with pytest.raises(PolicyError, match=r"rapport\.yaml:\d") as raised:
        app_from_environment()
    with pytest.raises(PolicyError) as cli:
        policy_at(environment)
    assert raised.value.message == cli.value.message


def test_the_api_answers_in_the_currency_of_the_configured_policy(environment: Path) -> None:
    environment.write_text(default_policy_text().replace("currency: USD", "currency: EUR"))
    # The merchant, created on purpose (`rapport init`).
    uow_factory = build(load_settings()).uow_factory
    initialize(uow_factory, merchant="default", policy_path=environment)
    client = TestClient(app_from_environment(), headers=bearer(key_for(uow_factory)))
    assert client.get("/v1/customers/who@example.net").json()["currency"] == "EUR"
    triaged = client.post("/v1/tickets/triage", json={"email": "who@example.net", "message": "it broke"})
    assert triaged.json()["resolution"]["currency"] == "EUR"


def test_a_policy_handed_to_create_app_is_loaded_before_the_first_request(tmp_path: Path) -> None:
    app = build(settings(policy_path=tmp_path / "missing.yaml"))
    with pytest.raises(InvalidInput):
        create_app(app)


# What the store keeps for each triaged ticket.


def test_the_decision_stored_with_a_ticket_is_versioned(
    store_client: TestClient, uow_factory: Callable[[], UnitOfWork]
) -> None:
    body = {**TICKET, "now": NOW.isoformat(), "record": True}
    answer = store_client.post("/v1/tickets/triage", json=body).json()
    with uow_factory() as uow:
        [recorded] = uow.tickets.for_email(merchant_id=_merchant_id(uow), email="dana.lee@example.com")
        [stored] = uow.tickets.session.scalars(select(DecisionRecord.decision_json)).all()
    assert stored["schema_version"] == 1
    assert recorded.decision.schema_version == 1
    decision_fields = {
        k: v for k, v in answer.items() if k not in ("customer", "order", "entities", "signals")
    }
    assert {k: v for k, v in stored.items() if k != "schema_version"} == decision_fields


def _merchant_id(uow: UnitOfWork) -> int:
    found = uow.merchants.find("default")
    assert found is not None
    return found.id


def test_the_openapi_document_is_served(make_app: Callable[..., FastAPI]) -> None:
    assert TestClient(make_app()).get("/openapi.json").json()["info"]["title"] == "Rapport"


def test_a_triage_without_record_is_a_preview_that_stores_nothing(
    store_client: TestClient, uow_factory: Callable[[], UnitOfWork]
) -> None:
    for _ in range(3):
        answer = store_client.post("/v1/tickets/triage", json={**TICKET, "now": NOW.isoformat()}).json()
    with uow_factory() as uow:
        assert uow.tickets.for_email(merchant_id=_merchant_id(uow), email="dana.lee@example.com") == []
    assert "repeat_contact" not in [s["kind"] for s in answer["signals"]]
