"""The request log: every answer carries an X-Request-ID (the caller's when it is a plain token, else a
new one), and each request is logged once with its method, path template, status, duration, merchant
and request id, never with its body, key or the path as sent. RAPPORT_LOG_FORMAT=json writes JSON lines."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rapport.api import app_from_environment, create_app
from rapport.api.request_log import FIELDS, JsonFormatter, RequestIdFilter
from rapport.bootstrap import build
from rapport.config import load_settings
from rapport.policy import default_policy, default_policy_text
from rapport.services.setup import initialize
from rapport.store.database import make_engine, session_factory
from rapport.store.unit_of_work import UnitOfWork, factory_for
from store_builders import sqlite_url

from .conftest import bearer, key_for, settings

SECRET_WORDS = "glass-shards-7c1f in my bowl set"  # a customer's message: never in a log line
DANA = "dana.lee@example.com"


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The request records captured, each as the JSON line the json format writes."""
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "rapport.request"]


def test_the_callers_request_id_is_echoed(client: TestClient) -> None:
    answer = client.get("/healthz", headers={"X-Request-ID": "helpdesk-42.a:b"})
    assert answer.headers["x-request-id"] == "helpdesk-42.a:b"


def test_a_request_without_an_id_gets_a_new_one(client: TestClient) -> None:
    first, second = client.get("/healthz"), client.get("/healthz")
    assert len(first.headers["x-request-id"]) == 32
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


@pytest.mark.parametrize("sent", ["two words", "x" * 129, "line\nbreak", ""])
def test_a_request_id_that_is_not_a_plain_token_is_replaced(client: TestClient, sent: str) -> None:
    answer = client.get("/healthz", headers={"X-Request-ID": sent})
    assert answer.headers["x-request-id"] != sent
    assert len(answer.headers["x-request-id"]) == 32


def test_an_error_answer_carries_its_request_id_too(anonymous: TestClient) -> None:
    answer = anonymous.get("/v1/me", headers={"X-Request-ID": "req-401"})
    assert answer.status_code == 401
    assert answer.headers["x-request-id"] == "req-401"


def test_one_json_line_per_request_with_its_fields_and_no_message_text(
    store_client: TestClient,
    api_key: str,
    uow_factory: Callable[[], UnitOfWork],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="rapport.request")
    body = {"email": DANA, "name": "Dana Lee", "body": SECRET_WORDS}
    created = store_client.post("/v1/tickets", json=body, headers={"X-Request-ID": "req-1"})
    assert created.status_code == 201, created.text
    lines = request_lines(caplog)
    assert len(lines) == 1
    line = lines[0]
    assert set(FIELDS) <= set(line)
    assert line["method"] == "POST"
    assert line["path"] == "/v1/tickets"
    assert line["status"] == 201
    assert line["request_id"] == "req-1"
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] > 0
    with uow_factory() as uow:
        assert line["merchant_id"] == uow.merchants.id_of("default")
    text = json.dumps(line)
    assert SECRET_WORDS not in text
    assert "glass-shards" not in text
    assert api_key not in text


def test_the_path_logged_is_the_route_template_not_the_path_sent(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rapport.request")
    assert client.get(f"/v1/customers/{DANA}").status_code == 200
    assert client.get("/no/such/route/dana.lee@example.com").status_code == 404
    lines = request_lines(caplog)
    assert [line["path"] for line in lines] == ["/v1/customers/{email}", "<unmatched>"]
    assert DANA not in json.dumps(lines)


def test_an_unauthenticated_request_is_logged_without_a_merchant(
    anonymous: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="rapport.request")
    anonymous.get("/v1/me")
    [line] = request_lines(caplog)
    assert (line["status"], line["merchant_id"]) == (401, None)


@pytest.fixture
def json_logging_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """RAPPORT_LOG_FORMAT=json and a fresh store in `tmp_path`; the logging set up is undone after."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAPPORT_DATABASE_URL", f"sqlite:///{tmp_path / 'rapport.db'}")
    monkeypatch.setenv("RAPPORT_POLICY_PATH", str(tmp_path / "rapport.yaml"))
    monkeypatch.setenv("RAPPORT_LOG_FORMAT", "json")
    (tmp_path / "rapport.yaml").write_text(default_policy_text(), encoding="utf-8")
    logger = logging.getLogger("rapport")
    before = (list(logger.handlers), logger.level, logging.getLogger("uvicorn.access").disabled)
    yield tmp_path
    logger.handlers[:] = before[0]
    logger.setLevel(before[1])
    logging.getLogger("uvicorn.access").disabled = before[2]


def test_the_server_writes_json_lines_to_stderr_when_asked(
    json_logging_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uow_factory: Callable[[], UnitOfWork] = build(load_settings()).uow_factory  # type: ignore[assignment]
    initialize(uow_factory, merchant="default", policy_path=json_logging_environment / "rapport.yaml")
    api: FastAPI = app_from_environment()
    client = TestClient(api, headers=bearer(key_for(uow_factory)))
    client.get("/v1/me", headers={"X-Request-ID": "req-json"})
    written = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    [line] = [w for w in written if w.get("request_id") == "req-json"]
    assert (line["logger"], line["level"], line["path"], line["status"]) == (
        "rapport.request",
        "info",
        "/v1/me",
        200,
    )
    assert logging.getLogger("uvicorn.access").disabled  # the JSON line replaces uvicorn's plain one


def test_a_record_logged_inside_a_route_carries_the_request_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # /readyz over a store it cannot open logs a warning from the route's worker thread.
    engine = make_engine(sqlite_url(str(tmp_path / "missing" / "rapport.db")))
    try:
        app = build(settings(), policy=default_policy(), uow_factory=factory_for(session_factory(engine)))
        caplog.handler.addFilter(RequestIdFilter())  # as the configured handler does
        caplog.set_level(logging.WARNING, logger="rapport.api.readiness")
        TestClient(create_app(app)).get("/readyz", headers={"X-Request-ID": "req-ready"})
    finally:
        engine.dispose()
    [warning] = [r for r in caplog.records if r.name == "rapport.api.readiness"]
    assert json.loads(JsonFormatter().format(warning))["request_id"] == "req-ready"
