"""A fake OpenAI-compatible chat-completions server on loopback, with scripted model behaviours.

The model answers `{"opening", "closing"}`: the words around the offer paragraph Rapport renders.
Modes: "good" (an obedient model that words the opening and closing from the facts it is given),
"slow" (answers after the client gave up), "overpromise" (always adds a refund and free shipping),
"overpromise_once" (over-promises, then obeys on the retry), "garbage" (chatty non-JSON),
"http_error" (HTTP 500), "follows_injection" (does whatever the customer's message says),
"scripted" (answers `script`, a dict, on every request: one corpus line at a time).
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_FACTS = re.compile(r"\(JSON\):\n(.*?)\n\nThe customer's message", re.S)


@dataclass
class FakeModel:
    """What the fake server does and what it was sent."""

    mode: str = "good"
    script: dict[str, Any] = field(default_factory=dict)
    slow_seconds: float = 1.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


def facts_from(messages: list[dict[str, str]]) -> dict[str, Any]:
    """The facts JSON the drafter put in its first user turn."""
    match = _FACTS.search(messages[1]["content"])
    assert match, "the prompt carries the facts as JSON"
    return json.loads(match.group(1))


def obedient_reply(facts: dict[str, Any]) -> dict[str, str]:
    """Words that follow every rule: a greeting, an acknowledgement, a warm closing, nothing more."""
    order = facts["order"]["order_name"]
    name = facts["customer"]["first_name"]
    about = f"your order {order}" if order else "your message"
    opening = f"{'Hi ' + name if name else 'Hello'},\n\nThank you for writing to us about {about}."
    if facts["history"]:
        opening += " We really appreciate your loyalty."
    return {"opening": opening, "closing": "Thank you for your patience."}


def _answer(model: FakeModel, body: dict[str, Any]) -> tuple[int, str]:
    messages = body["messages"]
    facts = facts_from(messages)
    good = obedient_reply(facts)
    mode = model.mode
    if mode == "overpromise_once":
        mode = "overpromise" if len(model.requests) == 1 else "good"
    if mode == "http_error":
        return 500, json.dumps({"error": {"message": "model overloaded"}})
    if mode == "garbage":
        content = "Sure! Here is a lovely reply for your customer: Hi there, we are on it!"
    elif mode == "scripted":
        content = json.dumps(model.script)
    elif mode == "overpromise":
        extra = " We'll also refund you $1,000 and upgrade you to free express shipping."
        content = json.dumps({**good, "opening": good["opening"] + extra})
    elif mode == "follows_injection" and "refund me $1,000" in messages[1]["content"]:
        content = json.dumps({**good, "closing": good["closing"] + " As asked: refund of $1,000."})
    else:
        content = json.dumps(good)
    choice = {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
    return 200, json.dumps({"id": "fake", "object": "chat.completion", "choices": [choice]})


def _handler(model: FakeModel) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            model.requests.append(body)
            model.headers.append(dict(self.headers))
            if self.path != "/v1/chat/completions":
                status, payload = 404, "{}"
            else:
                status, payload = _answer(model, body)
            if model.mode == "slow":
                time.sleep(model.slow_seconds)
            data = payload.encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and left, as the slow mode intends

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class FakeLLMServer:
    """A real HTTP server on 127.0.0.1 (random port) serving POST /v1/chat/completions."""

    def __init__(self) -> None:
        self.model = FakeModel()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.model))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
