"""No input is a 500: request bodies are bounded (413), NUL bytes and over-long strings are 422."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rapport.api import create_app
from rapport.api.body_limit import BodyLimit
from rapport.bootstrap import build
from rapport.config import Settings
from rapport.policy import default_policy
from rapport.services.importing import import_jsonl
from rapport.store.unit_of_work import UnitOfWork

from .conftest import NOW, STORE, bearer, key_for, settings

LIMIT = 1_000
TOO_LARGE = {"error": {"code": "payload_too_large", "message": "the request body is larger than 1,000 bytes"}}
DANA = "dana.lee@example.com"


@pytest.fixture
def limited(uow_factory: Callable[[], UnitOfWork]) -> TestClient:
    """The API over a store holding Dana, Lena and Sam, with a 1,000-byte bound on request bodies."""
    assert not import_jsonl(uow_factory, path=STORE, merchant="default").errors
    app = build(settings(max_request_bytes=LIMIT), policy=default_policy(), uow_factory=uow_factory)
    headers = bearer(key_for(uow_factory))
    return TestClient(create_app(app, clock=lambda: NOW), raise_server_exceptions=False, headers=headers)


def chunks(count: int, size: int) -> Iterator[bytes]:
    """A body without a Content-Length: httpx sends it chunked."""
    for _ in range(count):
        yield b"x" * size


def test_the_body_bound_is_read_from_rapport_max_request_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAPPORT_MAX_REQUEST_BYTES", "2048")
    assert Settings(_env_file=None).max_request_bytes == 2048


def test_the_body_bound_is_a_million_bytes_by_default() -> None:
    assert Settings(_env_file=None).max_request_bytes == 1_000_000


def test_a_body_with_a_content_length_above_the_bound_is_a_413_error_body(limited: TestClient) -> None:
    response = limited.post("/v1/tickets/triage", json={"email": DANA, "message": "a" * LIMIT})
    assert (response.status_code, response.json()) == (413, TOO_LARGE)


def test_a_chunked_body_above_the_bound_is_a_413_error_body(limited: TestClient) -> None:
    response = limited.post(
        "/v1/tickets/triage", content=chunks(10, 500), headers={"Content-Type": "application/json"}
    )
    assert (response.status_code, response.json()) == (413, TOO_LARGE)


def test_a_chunked_webhook_above_the_bound_is_a_413_error_body(limited: TestClient) -> None:
    response = limited.post("/webhooks/shopify", content=chunks(10, 500))
    assert (response.status_code, response.json()) == (413, TOO_LARGE)


def test_a_body_of_exactly_the_bound_is_read(limited: TestClient) -> None:
    body = b'{"email": "dana.lee@example.com", "message": "' + b"a" * 900
    body += b" " * (LIMIT - len(body) - 2) + b'"}'
    assert len(body) == LIMIT
    response = limited.post("/v1/tickets/triage", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200


def run_asgi(app: Any, headers: list[tuple[bytes, bytes]], parts: list[bytes]) -> list[dict[str, Any]]:
    """Send one POST with these body parts straight to an ASGI app; the messages it sent back."""
    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers, "query_string": b""}
    incoming = [
        {"type": "http.request", "body": p, "more_body": i < len(parts) - 1} for i, p in enumerate(parts)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


async def read_everything(scope: Any, receive: Any, send: Any) -> None:
    """An app that reads the whole body itself (no error handlers around it), then answers 200."""
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"read"})


def test_a_content_length_that_understates_the_body_does_not_get_past_the_bound() -> None:
    sent = run_asgi(
        BodyLimit(read_everything, max_bytes=LIMIT), [(b"content-length", b"10")], [b"x" * 600] * 3
    )
    assert sent[0]["status"] == 413
    assert (
        sent[1]["body"]
        == b'{"error":{"code":"payload_too_large","message":"the request body is larger than 1,000 bytes"}}'
    )


def test_a_body_under_the_bound_reaches_the_app_untouched() -> None:
    sent = run_asgi(BodyLimit(read_everything, max_bytes=LIMIT), [], [b"x" * 400] * 2)
    assert (sent[0]["status"], sent[1]["body"]) == (200, b"read")


def test_a_streamed_body_above_the_bound_is_refused_by_the_real_server(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    app = create_app(
        build(settings(max_request_bytes=LIMIT), policy=default_policy(), uow_factory=uow_factory)
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.01)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1/tickets/triage"
        response = httpx.post(url, content=chunks(2_000, 1_000), headers={"Content-Type": "application/json"})
        assert (response.status_code, response.json()) == (413, TOO_LARGE)
    finally:
        server.should_exit = True
        thread.join(timeout=5)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("message", "chipped\x00bowls"),
        ("email", "dana\x00@example.com"),
        ("order", "#10\x0042"),
        ("intent", "\x00"),
    ],
)
def test_a_nul_byte_in_any_ticket_field_is_a_422_naming_the_field(
    store_client: TestClient, field: str, value: str
) -> None:
    ticket = {"email": DANA, "message": "my bowls arrived chipped", field: value}
    response = store_client.post("/v1/tickets/triage", json=ticket)
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith(f"body.{field}: ")


def test_a_nul_byte_in_a_recorded_ticket_is_a_422_not_a_500(store_client: TestClient) -> None:
    ticket = {"email": DANA, "message": "broken\x00", "intent": "damaged_item", "record": True}
    assert store_client.post("/v1/tickets/draft", json=ticket).status_code == 422


def test_a_nul_byte_in_the_customer_path_is_a_422(store_client: TestClient) -> None:
    response = store_client.get("/v1/customers/dana%00lee@example.com")
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_request")


def test_an_email_over_320_characters_in_the_customer_path_is_a_422(store_client: TestClient) -> None:
    response = store_client.get(f"/v1/customers/{'d' * 320}@example.com")
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_request")


def test_an_order_name_over_64_characters_is_a_422(store_client: TestClient) -> None:
    response = store_client.post(
        "/v1/tickets/triage", json={"email": DANA, "message": "x", "order": "#" * 65}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_request")


def test_the_published_schema_says_text_fields_hold_no_nul(make_app: Callable[..., FastAPI]) -> None:
    fields = make_app().openapi()["components"]["schemas"]["TicketIn"]["properties"]
    assert all("\\x00" in fields[name]["pattern"] for name in ("email", "message"))


def test_a_message_over_50_000_characters_is_a_422_so_every_valid_ticket_fits_the_bound(
    store_client: TestClient,
) -> None:
    response = store_client.post("/v1/tickets/triage", json={"email": DANA, "message": "a" * 50_001})
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_request")


def test_a_body_that_is_not_utf8_is_a_400_bad_request_error_body(store_client: TestClient) -> None:
    response = store_client.post(
        "/v1/tickets/triage", content=b"\xff\xfe{", headers={"Content-Type": "application/json"}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "bad_request")


def test_the_published_schema_lists_the_intents_and_the_supported_years(
    make_app: Callable[..., FastAPI],
) -> None:
    schemas = make_app().openapi()["components"]["schemas"]["TicketIn"]["properties"]
    intent = next(option for option in schemas["intent"]["anyOf"] if option.get("type") == "string")
    now = next(option for option in schemas["now"]["anyOf"] if option.get("type") == "string")
    assert ("damaged_item" in intent["enum"], now["pattern"]) == (True, r"^(19[7-9]\d|2[01]\d\d)-")
