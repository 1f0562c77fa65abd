"""The help desk webhook against a real HTTP server on loopback that checks the signature."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import SecretStr

from rapport.connectors.helpdesk_webhook import (
    HelpdeskWebhook,
    payload,
    signature,
    verify_signature,
)
from rapport.domain.follow_ups import DeliveryFailed, OutboundMessage

SECRET = "whsec_helpdesk_tests"


def a_follow_up(**overrides: object) -> OutboundMessage:
    """Sam's check-in two days after his subscription question (ticket 42 of merchant 3)."""
    values: dict[str, object] = {
        "key": "rapport-follow-up-3-42",
        "merchant_id": 3,
        "ticket_id": 42,
        "kind": "check_in",
        "channel": "webhook",
        "to_address": "sam.okafor@example.com",
        "to_name": "Sam Okafor",
        "subject": "Checking in from Acme Home",
        "body": "Hi Sam,\n\nJust checking in about your subscription: is everything sorted now?",
    }
    return OutboundMessage(**{**values, **overrides})  # type: ignore[arg-type]


@dataclass
class HelpDesk:
    """What the fake help desk received, and how it answers."""

    requests: list[tuple[dict[str, str], bytes, bool]] = field(default_factory=list)
    status: int = 200
    delay_seconds: float = 0.0


@dataclass
class Running:
    desk: HelpDesk
    url: str


@pytest.fixture
def helpdesk() -> Iterator[Running]:
    desk = HelpDesk()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = dict(self.headers.items())
            genuine = verify_signature(body, headers, SECRET, now=datetime.now(UTC))
            desk.requests.append((headers, body, genuine))
            time.sleep(desk.delay_seconds)
            status = desk.status if genuine else 401
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Running(desk, f"http://127.0.0.1:{server.server_address[1]}/rapport/follow-ups")
    finally:
        server.shutdown()
        server.server_close()


def webhook(url: str, secret: str = SECRET, **options: float) -> HelpdeskWebhook:
    return HelpdeskWebhook(url, SecretStr(secret), **options)


def test_the_help_desk_receives_the_follow_up_as_signed_json(helpdesk: Running) -> None:
    webhook(helpdesk.url).send(a_follow_up())
    ((headers, body, genuine),) = helpdesk.desk.requests
    assert genuine is True
    document = json.loads(body)
    assert document["to"] == {"address": "sam.okafor@example.com", "name": "Sam Okafor"}
    assert document["kind"] == "check_in"
    assert document["ticket_id"] == 42
    assert headers["X-Rapport-Key"] == "rapport-follow-up-3-42"


def test_the_same_follow_up_twice_carries_the_same_key(helpdesk: Running) -> None:
    webhook(helpdesk.url).send(a_follow_up())
    webhook(helpdesk.url).send(a_follow_up())
    keys = {headers["X-Rapport-Key"] for headers, _, _ in helpdesk.desk.requests}
    assert keys == {"rapport-follow-up-3-42"}


def test_a_wrong_secret_is_refused_by_the_help_desk_and_not_retried(helpdesk: Running) -> None:
    with pytest.raises(DeliveryFailed, match="401") as failed:
        webhook(helpdesk.url, secret="not-the-shared-one").send(a_follow_up())
    assert failed.value.retryable is False


def test_a_server_error_is_retryable(helpdesk: Running) -> None:
    helpdesk.desk.status = 503
    with pytest.raises(DeliveryFailed, match="503") as failed:
        webhook(helpdesk.url).send(a_follow_up())
    assert failed.value.retryable is True


def test_a_refused_body_is_not_retryable(helpdesk: Running) -> None:
    helpdesk.desk.status = 422
    with pytest.raises(DeliveryFailed, match="422") as failed:
        webhook(helpdesk.url).send(a_follow_up())
    assert failed.value.retryable is False


def test_too_many_requests_is_retryable(helpdesk: Running) -> None:
    helpdesk.desk.status = 429
    with pytest.raises(DeliveryFailed) as failed:
        webhook(helpdesk.url).send(a_follow_up())
    assert failed.value.retryable is True


def test_a_slow_help_desk_times_out_and_is_retryable(helpdesk: Running) -> None:
    helpdesk.desk.delay_seconds = 1.0
    with pytest.raises(DeliveryFailed, match="Timeout") as failed:
        webhook(helpdesk.url, timeout_seconds=0.2).send(a_follow_up())
    assert failed.value.retryable is True


def test_a_help_desk_that_is_down_is_retryable() -> None:
    with pytest.raises(DeliveryFailed, match="ConnectError") as failed:
        webhook("http://127.0.0.1:9/rapport").send(a_follow_up())
    assert failed.value.retryable is True


def test_the_signature_covers_the_timestamp() -> None:
    body = payload(a_follow_up())
    assert signature(body, 1_700_000_000, SECRET) != signature(body, 1_700_000_001, SECRET)


def test_a_replayed_delivery_is_refused_once_it_is_old() -> None:
    body = payload(a_follow_up())
    sent = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    stamp = int(sent.timestamp())
    headers = {"X-Rapport-Timestamp": str(stamp), "X-Rapport-Signature": signature(body, stamp, SECRET)}
    assert verify_signature(body, headers, SECRET, now=sent + timedelta(minutes=1))
    assert not verify_signature(body, headers, SECRET, now=sent + timedelta(hours=1))


def test_a_changed_body_does_not_verify() -> None:
    body = payload(a_follow_up())
    headers = {
        "X-Rapport-Timestamp": "1700000000",
        "X-Rapport-Signature": signature(body, 1_700_000_000, SECRET),
    }
    now = datetime.fromtimestamp(1_700_000_000, UTC)
    assert not verify_signature(body.replace(b"Sam", b"Eve"), headers, SECRET, now=now)


def test_a_webhook_without_a_secret_or_url_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="RAPPORT_HELPDESK_WEBHOOK_SECRET"):
        HelpdeskWebhook("https://desk.acme.example/hook", SecretStr(""))
    with pytest.raises(ValueError, match="RAPPORT_HELPDESK_WEBHOOK_URL"):
        HelpdeskWebhook("desk.acme.example/hook", SecretStr(SECRET))
