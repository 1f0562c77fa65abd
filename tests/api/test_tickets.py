"""The ticket routes over HTTP: triage, draft and the customer card, with errors as 4xx JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rapport.api import create_app
from rapport.config import Settings
from rapport.policy import default_policy
from rapport.services.importing import import_jsonl
from rapport.store.database import make_engine, session_factory, upgrade
from rapport.store.unit_of_work import UnitOfWork

STORE = Path(__file__).parents[1] / "cli" / "data" / "store.jsonl"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    """The API over a store holding Dana (VIP), Lena (first-time buyer) and Sam (subscriber)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'api.db'}")
    upgrade(engine)
    sessions = session_factory(engine)

    def factory() -> UnitOfWork:
        return UnitOfWork(sessions)

    assert not import_jsonl(factory, path=STORE, merchant="default").errors
    app = create_app(Settings(), uow_factory=factory, clock=lambda: NOW, policy=default_policy())
    return TestClient(app, raise_server_exceptions=False)


def triage(client: TestClient, **ticket: object):  # noqa: ANN201
    return client.post("/v1/tickets/triage", json=ticket)


def test_triage_routes_a_vip_to_the_priority_queue(client: TestClient) -> None:
    response = triage(
        client, email="dana.lee@example.com", message="The bowls arrived chipped", intent="damaged_item"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["customer"]["known"], body["segment"], body["queue"]) == (True, "vip", "priority")
    assert body["first_response_due"] == "2026-11-20T13:00:00+00:00"


def test_triage_treats_an_unknown_email_as_a_guest(client: TestClient) -> None:
    response = triage(client, email="someone@example.net", message="where is my order?")
    assert response.json()["customer"] == {"id": None, "email": "someone@example.net", "known": False}


def test_an_unknown_intent_is_a_422_with_a_json_error(client: TestClient) -> None:
    response = triage(client, email="dana.lee@example.com", message="x", intent="teleport")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_intent"


def test_a_missing_email_is_a_422_naming_the_field(client: TestClient) -> None:
    response = client.post("/v1/tickets/triage", json={"message": "hello"})
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("body.email")


def test_an_order_of_another_customer_is_a_404(client: TestClient) -> None:
    response = triage(client, email="lena.fischer@example.com", message="broken", order="#9001")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_order"


def test_a_message_over_200_kb_is_refused_not_crashed(client: TestClient) -> None:
    response = triage(client, email="dana.lee@example.com", message="a" * 200_001)
    assert response.status_code == 422


def test_draft_returns_a_reply_that_passed_the_guardrails(client: TestClient) -> None:
    response = client.post(
        "/v1/tickets/draft",
        json={
            "email": "lena.fischer@example.com",
            "message": "My dripper arrived cracked",
            "intent": "damaged_item",
        },
    )
    assert response.status_code == 200
    draft = response.json()["draft"]
    assert draft["guardrails"]["passed"] is True
    assert "Lena" in draft["body"]
    assert "42.00" in draft["body"]


def test_the_customer_card_shows_spend_and_orders(client: TestClient) -> None:
    response = client.get("/v1/customers/dana.lee@example.com", params={"now": NOW.isoformat()})
    body = response.json()
    assert (body["orders_count"], body["total_spent"], body["known"]) == (2, "2464.00", True)
