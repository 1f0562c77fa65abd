"""The API app over HTTP (Starlette's test client): health, webhooks, errors as 4xx JSON."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from rapport.api import create_app
from rapport.config import Settings
from rapport.store.database import make_engine, session_factory, upgrade
from rapport.store.unit_of_work import UnitOfWork

SECRET = "whsec_api"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def uow_factory(tmp_path: Path) -> Callable[[], UnitOfWork]:
    engine = make_engine(f"sqlite:///{tmp_path / 'api.db'}")
    upgrade(engine)
    sessions = session_factory(engine)
    return lambda: UnitOfWork(sessions)


@pytest.fixture
def client(uow_factory: Callable[[], UnitOfWork]) -> TestClient:
    settings = Settings(shopify_webhook_secret=SecretStr(SECRET))
    return TestClient(create_app(settings, uow_factory=uow_factory, clock=lambda: NOW))


def post(client: TestClient, payload: object, *, topic: str = "customers/create", secret: str = SECRET):  # noqa: ANN201
    body = json.dumps(payload).encode()
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    headers = {"X-Shopify-Hmac-Sha256": digest, "X-Shopify-Topic": topic, "X-Shopify-Webhook-Id": "w-1"}
    return client.post("/webhooks/shopify", content=body, headers=headers)


CUSTOMER = {"id": 7, "email": "kim@example.com", "first_name": "Kim", "updated_at": "2026-11-01T00:00:00Z"}


def test_health_answers_ok(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_a_signed_webhook_is_accepted_and_processed(client: TestClient, uow_factory) -> None:  # noqa: ANN001
    assert post(client, CUSTOMER).json() == {"outcome": "stored", "topic": "customers/create"}
    with uow_factory() as uow:
        merchant_id = uow.merchants.get_or_create(slug="default")
        assert uow.profiles.get_profile(merchant_id=merchant_id, email="kim@example.com", now=NOW).is_known


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
    settings = Settings(shopify_webhook_secret=SecretStr(SECRET))
    broken = TestClient(create_app(settings, uow_factory=lambda: UnitOfWork(sessions), clock=lambda: NOW))
    response = post(broken, CUSTOMER)
    assert (response.status_code, response.json()["error"]["code"]) == (503, "store_unavailable")


def test_an_unknown_route_answers_the_error_shape(client: TestClient) -> None:
    assert client.get("/nowhere").json()["error"]["code"] == "not_found"


def test_a_validation_error_is_a_422_in_the_error_shape(uow_factory) -> None:  # noqa: ANN001
    app = create_app(Settings(), uow_factory=uow_factory)

    def typed(n: int) -> dict[str, int]:
        return {"n": n}

    app.add_api_route("/typed", typed, methods=["GET"])
    response = TestClient(app).get("/typed", params={"n": "many"})
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_request")


def test_the_app_served_by_uvicorn_on_loopback_accepts_a_webhook(uow_factory) -> None:  # noqa: ANN001
    import socket
    import threading
    import time

    import httpx
    import uvicorn

    app = create_app(
        Settings(shopify_webhook_secret=SecretStr(SECRET)), uow_factory=uow_factory, clock=lambda: NOW
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
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
        }
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/webhooks/shopify"
        assert httpx.post(url, content=body, headers=headers).json()["outcome"] == "stored"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
