"""A real `rapport serve` holds 200 concurrent requests that read and write, on SQLite and PostgreSQL.

The store is made as a user makes it (`rapport init`, `rapport import examples/store.jsonl`, `rapport key
create`: through the CLI's entry point in the test's process, their output is not what is tested), the server
is a subprocess on a loopback port, and the clients are threads sharing one httpx client, all released
at once. Bounded: every wait has a timeout and the server is stopped whatever happens.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from rapport.cli.main import app as cli
from rapport.store.database import make_engine

pytestmark = pytest.mark.slow

RAPPORT = Path(sys.executable).with_name("rapport")
STORE = Path(__file__).parents[2] / "examples" / "store.jsonl"
NOW = "2026-11-20T12:00:00+00:00"
SECRET = "whsec_concurrent"
SHOP = "concurrent.myshopify.com"
REQUESTS = 200
# Customers of examples/store.jsonl; Dana's ticket names her order #1049 (find_summary and belongs_to).
CUSTOMERS = [
    ("dana.lee@example.com", "#1049"),
    ("amara.adeyemi@example.com", None),
    ("dev.chen@example.com", None),
]

Request = tuple[str, str, dict[str, Any] | None, bytes | None, dict[str, str]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def webhook(i: int) -> Request:
    """A signed `customers/create` delivery of a new customer: stored, then processed after the answer."""
    payload = {"id": 90_000 + i, "email": f"hook{i}@example.com", "updated_at": "2026-11-01T00:00:00Z"}
    body = json.dumps(payload).encode()
    digest = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    headers = {
        "X-Shopify-Hmac-Sha256": digest,
        "X-Shopify-Topic": "customers/create",
        "X-Shopify-Webhook-Id": f"w{i}",
        "X-Shopify-Shop-Domain": SHOP,
    }
    return ("POST", "/webhooks/shopify", None, body, headers)


def request_mix() -> list[Request]:
    """2 in 6 recorded triages (they write), 1 in 6 webhooks (they write after the answer), the rest
    previews (triage, draft) and customer cards (they only read)."""
    mix: list[Request] = []
    for i in range(REQUESTS):
        email, order = CUSTOMERS[i % len(CUSTOMERS)]
        body: dict[str, Any] = {"email": email, "message": f"My bowl set arrived chipped ({i})", "now": NOW}
        if order and i % 2 == 0:
            body["order"] = order
        kind = i % 6
        if kind in (0, 1):
            mix.append(("POST", "/v1/tickets/triage", {**body, "record": True}, None, {}))
        elif kind == 2:
            mix.append(("POST", "/v1/tickets/triage", body, None, {}))
        elif kind == 3:
            mix.append(("POST", "/v1/tickets/draft", {**body, "intent": "damaged_item"}, None, {}))
        elif kind == 4:
            mix.append(("GET", f"/v1/customers/{email}", None, None, {}))
        else:
            mix.append(webhook(i))
    return mix


def made_as_a_user_makes_it(env: dict[str, str], workdir: Path) -> str:
    """`rapport init`, `rapport import` and `rapport key create` in `workdir` with the server's environment;
    the key. In this process (the CLI's own entry point, as the CLI tests run it): a process of their own
    would add three start-ups of the CLI to the test, and the server is what is tested."""
    unset: dict[str, str | None] = {name: None for name in os.environ if name.startswith("RAPPORT_")}
    runner = CliRunner(env={**unset, **env})
    outputs = []
    with contextlib.chdir(workdir):
        for command in (["init"], ["import", str(STORE)], ["key", "create", "--merchant", "default"]):
            done = runner.invoke(cli, command)
            assert done.exit_code == 0, f"rapport {command[0]}: {done.output}"
            outputs.append(done.stdout)
    return outputs[-1].strip()


@contextlib.contextmanager
def served_store(database_url: str, workdir: Path) -> Iterator[tuple[str, str]]:
    """`rapport serve` over a store made with `rapport init`, `rapport import` and `rapport key create`;
    yields its base URL and the key."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("RAPPORT_")}
    env |= {
        "RAPPORT_DATABASE_URL": database_url,
        "RAPPORT_POLICY_PATH": str(workdir / "rapport.yaml"),
        "RAPPORT_SHOPIFY_WEBHOOK_SECRET": SECRET,
        "RAPPORT_SHOPIFY_SHOP": SHOP,
    }
    key = made_as_a_user_makes_it(env, workdir)
    port = free_port()
    log_path = workdir / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [RAPPORT, "serve", "--port", str(port)],
            env=env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while not _healthy(base):
                assert server.poll() is None, f"rapport serve exited: {log_path.read_text()[-3000:]}"
                assert time.monotonic() < deadline, f"no answer in 30 s: {log_path.read_text()[-3000:]}"
                time.sleep(0.1)
            yield base, key
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).is_success
    except httpx.HTTPError:
        return False


def send_all_at_once(base: str, requests: list[Request], *, key: str) -> list[str]:
    """Every request from its own thread, all released together; what went wrong with each that failed."""
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(requests))
    limits = httpx.Limits(max_connections=len(requests), max_keepalive_connections=len(requests))
    auth = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, timeout=60, limits=limits, headers=auth) as client:

        def send(request: Request) -> None:
            method, path, body, content, headers = request
            start.wait(timeout=30)
            try:
                response = client.request(
                    method, path, json=body, content=content, headers=headers, params={"now": NOW}
                )
                failure = None if response.is_success else f"{response.status_code} {response.text[:200]}"
            except httpx.HTTPError as exc:
                failure = repr(exc)
            if failure is not None:
                with lock:
                    failures.append(f"{method} {path}: {failure}")

        threads = [threading.Thread(target=send, args=(request,)) for request in requests]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
    return failures


def stored(database_url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def test_two_hundred_concurrent_reads_and_writes_all_succeed_and_every_write_is_stored(
    database_url: str, tmp_path: Path
) -> None:
    requests = request_mix()
    with served_store(database_url, tmp_path) as (base, key):
        failures = send_all_at_once(base, requests, key=key)
        assert failures == []
        recorded = sum(1 for _, _, body, _, _ in requests if body and body.get("record"))
        assert stored(database_url, "SELECT count(*) FROM tickets") == [(recorded,)]
        hooks = sum(1 for _, path, _, _, _ in requests if path.startswith("/webhooks"))
        deadline = time.monotonic() + 15  # deliveries are processed after their answer
        query = "SELECT status, count(*), max(detail) FROM shopify_webhook_deliveries GROUP BY status"
        while (outcomes := stored(database_url, query)) != [("processed", hooks, "customer stored")]:
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
    assert outcomes == [("processed", hooks, "customer stored")]  # a failed one would say why
