"""The API app over HTTP (Starlette's test client): health, webhooks, errors in the ErrorBody shape."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from rapport.api import create_app
from rapport.bootstrap import build
from rapport.policy import default_policy
from rapport.store.database import make_engine, session_factory
from rapport.store.unit_of_work import factory_for

from .conftest import NOW, SECRET, SHOP, settings


def post(client: TestClient, payload: object, *, topic: str = "customers/create", secret: str = SECRET):  # noqa: ANN201
    body = json.dumps(payload).encode()
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    headers = {
        "X-Shopify-Hmac-Sha256": digest,
        "X-Shopify-Topic": topic,
        "X-Shopify-Webhook-Id": "w-1",
        "X-Shopify-Shop-Domain": SHOP,
    }
    return client.post("/webhooks/shopify", content=body, headers=headers)


CUSTOMER = {"id": 7, "email": "kim@example.com", "first_name": "Kim", "updated_at": "2026-11-01T00:00:00Z"}


def test_health_answers_ok(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_a_signed_webhook_is_accepted_and_processed(client: TestClient) -> None:
    assert post(client, CUSTOMER).json() == {"outcome": "stored", "topic": "customers/create"}
    response = client.get("/v1/customers/kim@example.com", params={"now": NOW.isoformat()})
    assert response.json()["known"] is True


def test_a_wrong_signature_is_a_401_json_error(client: TestClient) -> None:
    response = post(client, CUSTOMER, secret="wrong")
    assert (response.status_code, response.json()["error"]["code"]) == (401, "webhook_unauthorized")


def test_malformed_json_is_a_400_json_error_not_a_stack_trace(client: TestClient) -> None:
    body = b"{not json"
    digest = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    headers = {
        "X-Shopify-Hmac-Sha256": digest,
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Webhook-Id": "x",
    }
    response = client.post("/webhooks/shopify", content=body, headers=headers)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "webhook_rejected")


def test_a_repeated_delivery_is_answered_as_a_duplicate(client: TestClient) -> None:
    post(client, CUSTOMER)
    assert post(client, CUSTOMER).json()["outcome"] == "duplicate"


def test_a_webhook_that_cannot_be_stored_is_answered_503_so_shopify_retries(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'never-migrated.db'}")  # no tables: every write fails
    sessions = session_factory(engine)
    app = build(settings(), policy=default_policy(), uow_factory=factory_for(sessions), create_merchant=True)
    broken = TestClient(create_app(app, clock=lambda: NOW))
    response = post(broken, CUSTOMER)
    assert (response.status_code, response.json()["error"]["code"]) == (503, "store_unavailable")


def test_an_unknown_route_is_a_404_error_body(client: TestClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not Found"}}


def test_a_wrong_method_is_a_405_error_body_that_says_which_methods_are_allowed(client: TestClient) -> None:
    response = client.get("/v1/tickets/triage")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json() == {"error": {"code": "method_not_allowed", "message": "Method Not Allowed"}}


def test_a_validation_error_is_a_422_in_the_error_shape(make_app: Callable[..., FastAPI]) -> None:
    app = make_app()

    def typed(n: int) -> dict[str, int]:
        return {"n": n}

    app.add_api_route("/typed", typed, methods=["GET"])
    response = TestClient(app).get("/typed", params={"n": "many"})
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_request")
    assert response.json()["error"]["message"].startswith("query.n: ")


def test_an_unexpected_failure_is_a_500_error_body_not_a_stack_trace(
    make_app: Callable[..., FastAPI],
) -> None:
    app = make_app()

    def broken() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/broken", broken, methods=["GET"])
    response = TestClient(app, raise_server_exceptions=False).get("/broken")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "secret internals" not in response.text


def test_the_app_served_by_uvicorn_on_loopback_accepts_a_webhook(make_app: Callable[..., FastAPI]) -> None:
    import socket
    import threading
    import time

    import httpx
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(make_app(), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.01)
        body = json.dumps(CUSTOMER).encode()
        digest = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
        headers = {
            "X-Shopify-Hmac-Sha256": digest,
            "X-Shopify-Topic": "customers/create",
            "X-Shopify-Webhook-Id": "u",
            "X-Shopify-Shop-Domain": SHOP,
        }
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/webhooks/shopify"
        assert httpx.post(url, content=body, headers=headers).json()["outcome"] == "stored"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
