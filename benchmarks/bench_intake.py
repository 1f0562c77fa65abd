"""Intake under load: `POST /v1/tickets` (authenticate, triage, template draft, store) against the bare
authenticated `GET /v1/me` of the same server, side by side in one run.

For each store — an SQLite file, and PostgreSQL (a fresh schema) when RAPPORT_BENCH_DATABASE_URL or the
test server postgresql+psycopg://postgres@127.0.0.1:5432/test answers — it builds a demo-like store
(`rapport init`, then the demo's synthetic customers, seed 7), creates a machine key, starts one
`rapport serve` process on a free loopback port, and drives it from this process (the load generator:
`--clients` threads, each with its own keep-alive httpx client, closed loop). Rounds alternate
`GET /v1/me` and `POST /v1/tickets` at the same concurrency; every intake is a distinct customer (store
customers, then guests), a distinct message and a distinct idempotency key.

Prints, per store: requests/s, p50/p99 latency and errors of each route, the ratio intake / me (target
>= 0.40), intake p99 (target <= 50 ms), the CPU the load generator and the server used, and the load
average at the start and the end of each store's run. Exits non-zero when a route got no answer or an
error (the smoke run in CI, `make bench-smoke`, checks that).

Run: .venv/bin/python benchmarks/bench_intake.py [--clients 4] [--rounds 3] [--seconds 4] [--smoke] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import itertools
import json
import os
import resource
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from bench_concurrency import free_port, percentile, postgres_schema
from serving import serve_command, wait_until_healthy
from sqlalchemy import create_engine, text

from rapport.bootstrap import build
from rapport.config import Settings
from rapport.demo.showcase import DEMO_NOW
from rapport.demo.synthetic import StoreGenerator
from rapport.services.access import create_key
from rapport.services.importing import import_jsonl
from rapport.services.setup import initialize
from rapport.understanding.encoder import model_directory

ROOT = Path(__file__).resolve().parents[1]
BACKLOG = ROOT / "examples" / "backlog.csv"
TEST_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TICKS = os.sysconf("SC_CLK_TCK")

Request = Callable[[httpx.Client, int], httpx.Response]


@dataclass
class Round:
    """What one round of one route measured."""

    route: str
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    client_cpu: float = 0.0  # CPU seconds of this process (the load generator)
    server_cpu: float = 0.0  # CPU seconds of the server process


def postgres_url() -> str | None:
    """The PostgreSQL server to measure on, if one answers within 2 s."""
    url = os.environ.get("RAPPORT_BENCH_DATABASE_URL") or TEST_DATABASE_URL
    engine = create_engine(url, connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return url
    except Exception:  # noqa: BLE001 - unreachable or refused: measure SQLite only
        return None
    finally:
        engine.dispose()


def customers_of(count: int) -> list[tuple[str, str]]:
    """(e-mail, name) of the synthetic store's customers, in the order the generator writes them."""
    records = StoreGenerator(seed=7, now=DEMO_NOW).records(count)
    return [(r["email"], f"{r['first_name']} {r['last_name']}") for r in records if r["kind"] == "customer"]


def build_store(url: str, workdir: Path, customers: int) -> str:
    """What `rapport init` does (the default policy in `workdir`, the merchant), the synthetic store
    imported, a machine key; returns the key."""
    settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
    app = build(settings, policy_path=workdir / "rapport.yaml")
    initialize(app.uow_factory, merchant="default", policy_path=workdir / "rapport.yaml")
    store = workdir / "store.jsonl"
    StoreGenerator(seed=7, now=DEMO_NOW).write(store, customers)
    report = import_jsonl(app.uow_factory, path=store, merchant="default")
    if report.errors:
        raise RuntimeError(f"the synthetic store did not import: {report.errors[:3]}")
    key = create_key(app.uow_factory, merchant="default", now=datetime.now(UTC), label="bench").secret
    return key


def server_env(url: str, workdir: Path, classifier: str = "installed") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    return env | {
        "RAPPORT_DATABASE_URL": url,
        "RAPPORT_POLICY_PATH": str(workdir / "rapport.yaml"),
        "RAPPORT_LLM_BASE_URL": "",
        # Also what uvicorn's spawned worker processes read (they do not inherit the hidden encoder).
        "RAPPORT_INTENT_MODEL": "tfidf" if classifier == "tfidf" else "best",
    }


def classifier_in_use(classifier: str) -> str:
    return "encoder" if classifier == "installed" and model_directory() is not None else "tfidf"


@contextlib.contextmanager
def server(
    url: str, workdir: Path, classifier: str = "installed", workers: int = 1
) -> Iterator[tuple[str, int]]:
    """`rapport serve --workers N` on a free loopback port: (base URL, the pid of its first process)."""
    port = free_port()
    log = (workdir / "serve.log").open("wb")
    process = subprocess.Popen(
        serve_command(port, classifier, workers),
        env=server_env(url, workdir, classifier),
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(process, base, workdir / "serve.log", seconds=60)
        yield base, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) the process `pid` and its live children (uvicorn's worker processes)
    have used so far (Linux /proc)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_round(base: str, route: str, send: Request, *, clients: int, seconds: float, pid: int) -> Round:
    """`clients` threads send `send` back to back for `seconds`; latencies of the 2xx answers."""
    result = Round(route)
    lock = threading.Lock()
    counter = itertools.count()
    start = threading.Barrier(clients + 1)
    stop_at: list[float] = []

    def client() -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            start.wait()
            while time.perf_counter() < stop_at[0]:
                with lock:
                    n = next(counter)
                began = time.perf_counter()
                try:
                    response = send(http, n)
                    failure = None if response.is_success else f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    failure = type(exc).__name__
                took = (time.perf_counter() - began) * 1000
                with lock:
                    if failure is None:
                        result.latencies_ms.append(took)
                    else:
                        result.errors[failure] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    cpu, server_cpu, began = own_cpu(), process_cpu(pid), time.perf_counter()
    stop_at.append(began + seconds)
    start.wait()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - began
    result.client_cpu = own_cpu() - cpu
    result.server_cpu = process_cpu(pid) - server_cpu
    return result


def requests_for(key: str, customers: list[tuple[str, str]], run: str) -> dict[str, Request]:
    """The two routes' requests: `me` is always the same; each intake is a new customer and message."""
    auth = {"Authorization": f"Bearer {key}"}
    with BACKLOG.open(encoding="utf-8", newline="") as handle:
        messages = [row["message"] for row in csv.DictReader(handle)]
    taken = itertools.count()
    lock = threading.Lock()

    def me(http: httpx.Client, _: int) -> httpx.Response:
        return http.get("/v1/me", headers=auth)

    def intake(http: httpx.Client, _: int) -> httpx.Response:
        with lock:
            i = next(taken)
        email, name = customers[i] if i < len(customers) else (f"guest{i}.{run}@bench.example", "A Guest")
        body = {
            "email": email,
            "name": name,
            "channel": "email",
            "subject": "About my order",
            "body": f"Hi, this is {name}. {messages[i % len(messages)]}",
            "idempotency_key": f"bench-{run}-{i}",
        }
        return http.post("/v1/tickets", json=body, headers=auth)

    return {"GET /v1/me": me, "POST /v1/tickets": intake}


def summary(rounds: list[Round], route: str) -> dict[str, Any]:
    mine = [r for r in rounds if r.route == route]
    latencies = [ms for r in mine for ms in r.latencies_ms]
    seconds = sum(r.seconds for r in mine)
    errors: Counter[str] = Counter()
    for r in mine:
        errors.update(r.errors)
    return {
        "requests": len(latencies),
        "errors": dict(errors),
        "per_second": len(latencies) / seconds if seconds else 0.0,
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "client_cpu_share": sum(r.client_cpu for r in mine) / seconds if seconds else 0.0,
        "server_cpu_share": sum(r.server_cpu for r in mine) / seconds if seconds else 0.0,
    }


def measure(url: str, label: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        key = build_store(url, workdir, args.customers)
        customers = customers_of(args.customers)
        run = f"{os.getpid()}-{int(time.time())}"
        send = requests_for(key, customers, run)
        with server(url, workdir, args.classifier, args.workers) as (base, pid):
            for route, request in send.items():  # warm-up: the intent model and the merchant load
                run_round(base, route, request, clients=1, seconds=0.3, pid=pid)
            rounds = []
            for _ in range(args.rounds):
                for route, request in send.items():
                    rounds.append(
                        run_round(base, route, request, clients=args.clients, seconds=args.seconds, pid=pid)
                    )
    me, intake = summary(rounds, "GET /v1/me"), summary(rounds, "POST /v1/tickets")
    ratio = intake["per_second"] / me["per_second"] if me["per_second"] else 0.0
    return {
        "database": label,
        "classifier": classifier_in_use(args.classifier),
        "clients": args.clients,
        "workers": args.workers,
        "me": me,
        "intake": intake,
        "ratio": ratio,
    }


def report(result: dict[str, Any]) -> None:
    print(
        f"== {result['database']}, intents read by {result['classifier']}: {result['clients']} clients, "
        f"{result['workers']} server worker process(es), "
        f"load average {result['load_average_start']} -> {result['load_average_end']}"
    )
    for name, route in (("me", "GET /v1/me"), ("intake", "POST /v1/tickets")):
        s = result[name]
        print(
            f"  {route:<17} {s['per_second']:7.1f} req/s  "
            f"p50 {s['p50_ms']:6.1f} ms  p99 {s['p99_ms']:6.1f} ms  "
            f"n={s['requests']} errors={s['errors'] or 0}  load generator CPU {s['client_cpu_share']:.0%} "
            f"of a core, server {s['server_cpu_share']:.0%}"
        )
    ratio, p99 = result["ratio"], result["intake"]["p99_ms"]
    print(
        f"  intake / me = {ratio:.2f} (target >= 0.40: {'met' if ratio >= 0.40 else 'MISSED'}); "
        f"intake p99 {p99:.1f} ms (target <= 50 ms: {'met' if p99 <= 50 else 'MISSED'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (threads)")
    parser.add_argument("--workers", type=int, default=1, help="the server's worker processes")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each route, alternating")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of one round")
    parser.add_argument("--customers", type=int, default=3000, help="synthetic customers in the store")
    parser.add_argument("--database", choices=["all", "sqlite", "postgresql"], default="all")
    parser.add_argument(
        "--classifier",
        choices=["installed", "tfidf"],
        default=None,
        help="the server's intent model: the best installed (the encoder, with its extra), or TF-IDF "
        "(default: installed; tfidf with --smoke)",
    )
    parser.add_argument("--smoke", action="store_true", help="a tiny run (CI): 30 customers, short rounds")
    parser.add_argument("--json", action="store_true", help="also print each result as one JSON line")
    args = parser.parse_args()
    if args.smoke:
        args.customers, args.rounds, args.seconds, args.clients = 30, 1, 0.5, 2
        args.classifier = args.classifier or "tfidf"
        if args.database == "all" and not os.environ.get("RAPPORT_BENCH_DATABASE_URL"):
            args.database = "sqlite"  # PostgreSQL too when RAPPORT_BENCH_DATABASE_URL names a server
    args.classifier = args.classifier or "installed"
    stores: list[tuple[str, Callable[[], contextlib.AbstractContextManager[str]]]] = []
    if args.database in ("all", "sqlite"):
        stores.append(("sqlite", contextlib.nullcontext))
    pg = postgres_url() if args.database in ("all", "postgresql") else None
    if pg is not None:
        stores.append(("postgresql", lambda: postgres_schema(pg)))
    elif args.database == "postgresql":
        raise SystemExit("no PostgreSQL server answers (RAPPORT_BENCH_DATABASE_URL or the test URL)")
    failures = []
    for label, opened in stores:
        load_start = [round(x, 2) for x in os.getloadavg()]
        with tempfile.TemporaryDirectory() as tmp, opened() as schema_url:
            url = f"sqlite:///{tmp}/bench.db" if label == "sqlite" else schema_url
            result = measure(url, label, args)
        result["load_average_start"] = load_start
        result["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
        report(result)
        if args.json:
            print(json.dumps(result))
        failures += [f"{label}: {problem}" for problem in unanswered(result)]
    if failures:
        raise SystemExit("; ".join(failures))


def unanswered(result: dict[str, Any]) -> list[str]:
    """What went wrong with a store's run: a route without an answer, or with errors."""
    problems = []
    for name in ("me", "intake"):
        if not result[name]["requests"]:
            problems.append(f"{name}: no request answered")
        if result[name]["errors"]:
            problems.append(f"{name}: errors {result[name]['errors']}")
    return problems


if __name__ == "__main__":
    main()
