"""Concurrent load on a real `rapport serve`: how many parallel API requests the store holds.

Makes a store in a temporary directory (`rapport init` + `rapport import examples/store.jsonl`) — an
SQLite file by default, or a fresh schema on the PostgreSQL server at RAPPORT_BENCH_DATABASE_URL — starts
`rapport serve` on a free loopback port, then sends `--requests` requests from `--concurrency` threads,
all released at once: recorded triages (`"record": true`, which write), triage and draft previews, and
customer cards. Prints requests, errors (by status or exception), p50 and p99 latency, and beside them
the reference measured in the same run on the same server: as many `GET /healthz` from as many threads
(no store, no authentication), with the ratio of the two rates and the load average at start and end.
Exits non-zero when a request of the mix failed.

Run: .venv/bin/python benchmarks/bench_concurrency.py [--requests 200] [--concurrency 200] [--workers 1]
     [--smoke] [--json]   (--smoke: 24 requests from 8 threads)
     RAPPORT_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python ...
"""

from __future__ import annotations

import argparse
import base64
import collections
import contextlib
import hashlib
import hmac
import json
import os
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from serving import serve_command, wait_until_healthy
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
STORE = ROOT / "examples" / "store.jsonl"
NOW = "2026-11-20T12:00:00+00:00"
# Customers of examples/store.jsonl with one of their orders (named tickets run find_summary/belongs_to).
CUSTOMERS = [
    ("dana.lee@example.com", "#1049"),
    ("amara.adeyemi@example.com", None),
    ("dev.chen@example.com", None),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A fresh schema on the server at `url`, dropped afterwards; yields a URL that uses it."""
    schema = f"rapport_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield (
            make_url(url)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


SECRET = "whsec_bench"
SHOP = "bench.myshopify.com"  # the shop the merchant is bound to (`rapport init` with RAPPORT_SHOPIFY_SHOP)
Request = tuple[str, str, dict[str, Any] | None, bytes | None, dict[str, str]]


def webhook(i: int) -> Request:
    """A signed `customers/create` delivery for a new customer (processed after the response: it writes)."""
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


def request_mix(n: int) -> list[Request]:
    """`n` requests: 2 in 6 recorded triages (they write), 1 in 6 webhooks (written after the response),
    the rest previews (triage, draft) and customer cards."""
    out: list[Request] = []
    for i in range(n):
        email, order = CUSTOMERS[i % len(CUSTOMERS)]
        body: dict[str, Any] = {"email": email, "message": f"My bowl set arrived chipped ({i})", "now": NOW}
        if order and i % 2 == 0:
            body["order"] = order
        kind = i % 6
        if kind in (0, 1):
            out.append(("POST", "/v1/tickets/triage", {**body, "record": True}, None, {}))
        elif kind == 2:
            out.append(("POST", "/v1/tickets/triage", {**body, "intent": "damaged_item"}, None, {}))
        elif kind == 3:
            out.append(("POST", "/v1/tickets/draft", {**body, "intent": "damaged_item"}, None, {}))
        elif kind == 4:
            out.append(("GET", f"/v1/customers/{email}?now={NOW.replace('+', '%2B')}", None, None, {}))
        else:
            out.append(webhook(i))
    return out


HEALTHZ: Request = ("GET", "/healthz", None, None, {})


def run_load(
    base_url: str, key: str, n: int, concurrency: int, timeout: float = 60.0, *, healthz: bool = False
) -> tuple[list[float], collections.Counter[str], float]:
    """Send the mix (or, with `healthz`, as many `GET /healthz`) from `concurrency` threads released
    together: (latencies in ms of the 2xx answers, errors by kind, seconds from the release to the last
    answer)."""
    requests = [HEALTHZ] * n if healthz else request_mix(n)
    concurrency = min(concurrency, n)
    latencies: list[float] = []
    errors: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()
    released: list[float] = []
    start = threading.Barrier(concurrency, action=lambda: released.append(time.perf_counter()))

    def worker(mine: list[Request]) -> None:
        auth = {"Authorization": f"Bearer {key}"}  # the API key of the merchant (every /v1 route needs one)
        with httpx.Client(base_url=base_url, timeout=timeout, headers=auth) as client:
            start.wait()
            for method, path, body, content, headers in mine:
                began = time.perf_counter()
                try:
                    response = client.request(method, path, json=body, content=content, headers=headers)
                    outcome = None if response.is_success else f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                took = (time.perf_counter() - began) * 1000
                with lock:
                    if outcome is None:
                        latencies.append(took)
                    else:
                        errors[outcome] += 1

    threads = [threading.Thread(target=worker, args=(requests[i::concurrency],)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - released[0]


def webhook_outcomes(database_url: str) -> dict[str, object]:
    """How many stored webhook deliveries ended in each status, and why one failed (if any did)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT status, count(*), min(detail) FROM shopify_webhook_deliveries GROUP BY status")
            )
            return {
                status: f"{count} ({detail})" if status == "failed" else count
                for status, count, detail in rows
            }
    finally:
        engine.dispose()


def made_as_a_user_makes_it(env: dict[str, str], workdir: Path) -> str:
    """`rapport init`, `rapport import` and `rapport key create` in `workdir` with the server's environment;
    the key. Through the CLI's own entry point in this process: three processes of their own would add
    three start-ups of the CLI (seconds each on a loaded machine), and the server is what is measured."""
    from typer.testing import CliRunner

    from rapport.cli.main import app as cli

    unset: dict[str, str | None] = {name: None for name in os.environ if name.startswith("RAPPORT_")}
    runner = CliRunner(env={**unset, **env})
    outputs = []
    with contextlib.chdir(workdir):
        for command in (["init"], ["import", str(STORE)], ["key", "create", "--merchant", "default"]):
            done = runner.invoke(cli, command)
            if done.exit_code != 0:
                raise SystemExit(f"rapport {command[0]}: {done.output}")
            outputs.append(done.stdout)
    return outputs[-1].strip()


@contextlib.contextmanager
def server(
    database_url: str, workdir: Path, workers: int, classifier: str = "installed"
) -> Iterator[tuple[str, str]]:
    """`rapport serve` over a store made with `rapport init`, `rapport import` and `rapport key create`;
    yields its base URL and the key."""
    env = {
        **os.environ,
        "RAPPORT_DATABASE_URL": database_url,
        "RAPPORT_POLICY_PATH": str(workdir / "rapport.yaml"),
        "RAPPORT_LLM_BASE_URL": "",
        "RAPPORT_SHOPIFY_WEBHOOK_SECRET": SECRET,
        "RAPPORT_SHOPIFY_SHOP": SHOP,
    }
    key = made_as_a_user_makes_it(env, workdir)
    port = free_port()
    log = (workdir / "serve.log").open("wb")
    process = subprocess.Popen(
        serve_command(port, classifier, workers),
        env=env,
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(process, base, workdir / "serve.log", seconds=30)
        yield base, key
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else float("nan")


def measure(url: str, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The mix and the /healthz reference on one server over the store at `url`."""
    with server(url, workdir, args.workers, args.classifier) as (base, key):
        # warm-up, one request of each kind in turn: the intent model and the merchant load on first use
        # (twelve at once would all wait for the same cold load, seconds longer on a busy machine)
        run_load(base, key, 6, 1)
        latencies, errors, took = run_load(base, key, args.requests, args.concurrency)
        reference, reference_errors, reference_took = run_load(
            base, key, args.requests, args.concurrency, healthz=True
        )
        time.sleep(1)  # webhooks are processed after their response
        deliveries = webhook_outcomes(url)
    per_second = len(latencies) / took if took else 0.0
    healthz_per_second = len(reference) / reference_took if reference_took else 0.0
    return {
        "benchmark": "concurrency",
        "database": make_url(url).get_backend_name(),
        "workers": args.workers,
        "classifier": args.classifier,
        "requests": args.requests,
        "concurrency": args.concurrency,
        "seconds": round(took, 3),
        "answered": len(latencies),
        "errors": dict(errors),
        "webhook_deliveries": deliveries,
        "per_second": round(per_second, 1),
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else float("nan"),
        "reference": {
            "route": "GET /healthz",
            "seconds": round(reference_took, 3),
            "errors": dict(reference_errors),
            "per_second": round(healthz_per_second, 1),
            "p50_ms": round(percentile(reference, 0.5), 1),
            "p99_ms": round(percentile(reference, 0.99), 1),
        },
        # the mix's rate as a share of /healthz's on the same server (1.0: as fast as answering nothing)
        "ratio": round(per_second / healthz_per_second, 3) if healthz_per_second else 0.0,
    }


def report(r: dict[str, Any]) -> None:
    ref = r["reference"]
    print(
        f"database {r['database']}; workers {r['workers']}; intents read by {r['classifier']}; "
        f"{r['requests']} requests from {r['concurrency']} threads in {r['seconds']:.2f}s: "
        f"{sum(r['errors'].values())} errors {r['errors'] or ''}; "
        f"webhook deliveries {r['webhook_deliveries']}; "
        f"{r['per_second']:.0f} req/s, p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms, "
        f"mean {r['mean_ms']:.0f} ms"
    )
    print(
        f"reference, same server: {r['requests']} GET /healthz from {r['concurrency']} threads in "
        f"{ref['seconds']:.2f}s: {ref['per_second']:.0f} req/s, p50 {ref['p50_ms']:.0f} ms, "
        f"p99 {ref['p99_ms']:.0f} ms; the mix runs at {r['ratio']:.2f}x /healthz's rate; "
        f"load average {r['load_average_start']} -> {r['load_average_end']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1, help="rapport serve --workers")
    parser.add_argument(
        "--classifier",
        choices=["installed", "tfidf"],
        default=None,
        help="the server's intent model: the best installed, or TF-IDF (default installed; tfidf if --smoke)",
    )
    parser.add_argument("--smoke", action="store_true", help="a tiny run (CI): 24 requests from 8 threads")
    parser.add_argument("--json", action="store_true", help="one JSON line")
    args = parser.parse_args()
    if args.smoke:
        args.requests, args.concurrency = 24, 8
        args.classifier = args.classifier or "tfidf"
    args.classifier = args.classifier or "installed"
    load_start = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        pg = os.environ.get("RAPPORT_BENCH_DATABASE_URL")
        url = stack.enter_context(postgres_schema(pg)) if pg else f"sqlite:///{tmp}/rapport.db"
        result = measure(url, Path(tmp), args)
    result["load_average_start"] = load_start
    result["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        print(json.dumps(result))
    else:
        report(result)
    if result["errors"] or result["reference"]["errors"] or not result["answered"]:
        raise SystemExit("some requests failed")


if __name__ == "__main__":
    main()
