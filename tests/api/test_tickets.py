"""The ticket routes over HTTP: triage, draft and the customer card, with errors as ErrorBody JSON."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .conftest import NOW


def triage(client: TestClient, **ticket: object):  # noqa: ANN201
    return client.post("/v1/tickets/triage", json=ticket)


def test_triage_routes_a_vip_to_the_priority_queue(store_client: TestClient) -> None:
    response = triage(
        store_client, email="dana.lee@example.com", message="The bowls arrived chipped", intent="damaged_item"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["customer"]["known"], body["segment"], body["queue"]) == (True, "vip", "priority")
    assert body["first_response_due"] == "2026-11-20T13:00:00+00:00"


def test_triage_treats_an_unknown_email_as_a_guest(store_client: TestClient) -> None:
    response = triage(store_client, email="someone@example.net", message="where is my order?")
    assert response.json()["customer"] == {"id": None, "email": "someone@example.net", "known": False}


def test_an_unknown_intent_is_a_422_with_a_json_error(store_client: TestClient) -> None:
    response = triage(store_client, email="dana.lee@example.com", message="x", intent="teleport")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_intent"


def test_a_missing_email_is_a_422_naming_the_field(store_client: TestClient) -> None:
    response = store_client.post("/v1/tickets/triage", json={"message": "hello"})
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("body.email")


def test_an_order_of_another_customer_is_a_404(store_client: TestClient) -> None:
    response = triage(store_client, email="lena.fischer@example.com", message="broken", order="#9001")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_order"


def test_a_message_over_200_kb_is_refused_not_crashed(store_client: TestClient) -> None:
    response = triage(store_client, email="dana.lee@example.com", message="a" * 200_001)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_draft_returns_a_reply_that_passed_the_guardrails(store_client: TestClient) -> None:
    response = store_client.post(
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
    assert response.json()["decision"]["customer"]["known"] is True


def test_the_customer_card_shows_spend_and_orders(store_client: TestClient) -> None:
    response = store_client.get("/v1/customers/dana.lee@example.com", params={"now": NOW.isoformat()})
    body = response.json()
    assert (body["orders_count"], body["total_spent"], body["known"]) == (2, "2464.00", True)


# Instants from outside: ISO 8601, no offset means UTC, years 1970-2199; anything else is a 422.


def test_the_customer_card_at_a_time_without_offset_is_read_as_utc(store_client: TestClient) -> None:
    # It used to be a 500: a naive `now` compared with the store's aware times.
    naive = store_client.get("/v1/customers/dana.lee@example.com", params={"now": "2026-11-20T12:00:00"})
    aware = store_client.get(
        "/v1/customers/dana.lee@example.com", params={"now": "2026-11-20T12:00:00+00:00"}
    )
    assert naive.status_code == 200
    assert naive.json() == aware.json()


def test_a_ticket_at_a_time_without_offset_is_decided_in_utc(store_client: TestClient) -> None:
    response = triage(
        store_client,
        email="dana.lee@example.com",
        message="chipped",
        intent="damaged_item",
        now="2026-11-20T12:00",
    )
    assert response.status_code == 200
    assert response.json()["first_response_due"] == "2026-11-20T13:00:00+00:00"


def test_a_ticket_at_a_time_with_an_offset_keeps_it(store_client: TestClient) -> None:
    response = triage(
        store_client,
        email="dana.lee@example.com",
        message="chipped",
        intent="damaged_item",
        now="2026-11-20T13:00:00+01:00",
    )
    assert response.json()["first_response_due"] == "2026-11-20T14:00:00+01:00"


OUT_OF_RANGE = [
    "9999-12-31T00:00:00+00:00",
    "0001-01-01T00:00:00+00:00",
    "9999-12-31T23:59:59-01:00",  # past datetime's own range once in UTC
    "1969-12-31T23:59:59+00:00",
    "2200-01-01T00:00:00+00:00",
]
NOT_INSTANTS = ["yesterday", "2026-13-01T00:00:00", ""]


def _routes(client: TestClient, now: str) -> dict[str, object]:
    ticket = {"email": "dana.lee@example.com", "message": "chipped", "intent": "damaged_item", "now": now}
    return {
        "triage": client.post("/v1/tickets/triage", json=ticket),
        "draft": client.post("/v1/tickets/draft", json=ticket),
        "customer": client.get("/v1/customers/dana.lee@example.com", params={"now": now}),
    }


@pytest.mark.parametrize("now", OUT_OF_RANGE)
def test_an_instant_outside_the_supported_years_is_a_422_on_every_route(
    store_client: TestClient, now: str
) -> None:
    for route, response in _routes(store_client, now).items():
        assert response.status_code == 422, route  # they were 500s
        error = response.json()["error"]
        assert error["code"] == "invalid_request", route
        assert "now" in error["message"], (route, error)
        assert "1970 to 2199" in error["message"], (route, error)


@pytest.mark.parametrize("now", NOT_INSTANTS)
def test_text_that_is_not_an_instant_is_a_422_on_every_route(store_client: TestClient, now: str) -> None:
    for route, response in _routes(store_client, now).items():
        assert response.status_code == 422, route
        assert "ISO 8601" in response.json()["error"]["message"], route


def test_a_number_is_not_an_instant(store_client: TestClient) -> None:
    response = store_client.post(
        "/v1/tickets/triage", json={"email": "dana.lee@example.com", "message": "x", "now": 1_700_000_000}
    )
    assert response.status_code == 422
