"""Due follow-ups sent by two worker processes on PostgreSQL: each exactly once, and how fast.

Run from the project root with the server's URL:
`RAPPORT_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python
benchmarks/bench_follow_ups.py` (`--count N`, default 10,000; `--workers W`, default 2; `--engine
procrastinate|loop`; `--smoke` for 500; `--json` for one JSON line). Target (issue 12): 10,000 due
follow-ups with two worker processes, each sent exactly once, throughput reported.

The follow-ups are seeded in a fresh schema (not timed); each worker is a real process running what
`rapport worker` runs (procrastinate's worker with the periodic tick, or the in-process loop), worded
by the real follow-up drafter; its sender appends each message's key to a file of its own (a receiver
without network). Timed: from the workers' start until the store says every row is sent (process
start-up and procrastinate's first tick included, reported apart as `first_sent_s`). Then the keys of
all files are counted: total == distinct == N is the exactly-once check (the script exits non-zero when
it fails). The reference, measured in the same run on the same schema: N plain single-row INSERTs of a
key and a message body into a bare table, one connection, a commit every 100 rows (the workers' batch
size) — the floor of writing one row per follow-up; `ratio` is the follow-ups' rate over the INSERTs'.
Printed with it: the load average at start and end (the machine is shared).

The server: RAPPORT_BENCH_DATABASE_URL, else RAPPORT_TEST_DATABASE_URL (each run in a fresh schema).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from tempfile import TemporaryDirectory

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the seeding and temporary-schema builders of the tests

from sqlalchemy import func, select, text  # noqa: E402

from follow_up_seeds import seed_due_follow_ups  # noqa: E402
from rapport.store.database import make_engine, upgrade  # noqa: E402
from rapport.store.models import FollowUpRecord  # noqa: E402
from store_builders import temporary_schema  # noqa: E402

CHILD = """
import sys
from pathlib import Path
from rapport.bootstrap import build, follow_up_worker
from rapport.cli.worker_cmd import run_loop, run_procrastinate
from rapport.config import load_settings

log, engine = Path(sys.argv[1]), sys.argv[2]

class KeyLog:
    def __init__(self, path):
        self.out = path.open("a", buffering=1)
    def send(self, message):
        self.out.write(message.key + "\\n")

settings = load_settings()
worker = follow_up_worker(build(settings), sender=KeyLog(log))
if engine == "procrastinate":
    run_procrastinate(worker, settings.database_url, settings.worker_concurrency, tick_seconds=1)
else:
    run_loop(worker, 0.2)
"""


def sent_count(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).where(FollowUpRecord.status == "sent")) or 0)
    finally:
        engine.dispose()


def plain_inserts(url: str, count: int, batch: int = 100) -> float:
    """Seconds for `count` single-row INSERTs into a bare table, a commit every `batch` rows."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE bench_reference (key text PRIMARY KEY, body text)"))
        body = "How did we do? " * 8
        started = time.perf_counter()
        with engine.connect() as connection:
            for n in range(count):
                connection.execute(
                    text("INSERT INTO bench_reference (key, body) VALUES (:key, :body)"),
                    {"key": f"reference-{n}", "body": body},
                )
                if n % batch == batch - 1:
                    connection.commit()
            connection.commit()
        return time.perf_counter() - started
    finally:
        engine.dispose()


def run(
    url: str, count: int, workers: int, engine_name: str, folder: Path, concurrency: int = 4
) -> dict[str, object]:
    engine = make_engine(url)
    upgrade(engine)
    seed_due_follow_ups(engine, count)
    engine.dispose()
    (folder / "rapport.yaml").write_text((ROOT / "src/rapport/policy/default_policy.yaml").read_text())
    (folder / "child.py").write_text(CHILD)
    env = {
        **os.environ,
        "RAPPORT_DATABASE_URL": url,
        "RAPPORT_POLICY_PATH": str(folder / "rapport.yaml"),
        "RAPPORT_MERCHANT": "acme",
        "RAPPORT_WORKER_CONCURRENCY": str(concurrency),
        "RAPPORT_FOLLOW_UP_BATCH_SIZE": "100",
    }
    logs = [folder / f"worker{n}.log" for n in range(workers)]
    start = time.perf_counter()
    processes = [
        subprocess.Popen(
            [sys.executable, str(folder / "child.py"), str(log), engine_name],
            cwd=folder,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for log in logs
    ]
    first_sent = None
    try:
        while (done := sent_count(url)) < count:
            if first_sent is None and done:
                first_sent = time.perf_counter() - start
            if any(p.poll() is not None for p in processes):
                errors = [
                    p.stderr.read().decode()[-2000:] for p in processes if p.poll() is not None and p.stderr
                ]
                raise SystemExit(f"a worker exited early: {errors}")
            if time.perf_counter() - start > 300:
                raise SystemExit(f"only {done} of {count} sent after 300 s")
            time.sleep(0.1)
        seconds = time.perf_counter() - start
    finally:
        for p in processes:
            p.send_signal(signal.SIGTERM)
        for p in processes:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
    keys = Counter(k for log in logs if log.exists() for k in log.read_text().split())
    reference = plain_inserts(url, count)
    return {
        "benchmark": "follow_ups",
        "engine": engine_name,
        "workers": workers,
        "concurrency": concurrency,
        "count": count,
        "seconds": round(seconds, 2),
        "first_sent_s": round(first_sent or seconds, 2),
        "per_second": round(count / seconds, 1),
        "sent_total": sum(keys.values()),
        "sent_distinct": len(keys),
        "sent_per_worker": [len(log.read_text().split()) if log.exists() else 0 for log in logs],
        "exactly_once": sum(keys.values()) == len(keys) == count,
        "reference": {
            "what": "plain single-row INSERTs, a commit per 100",
            "seconds": round(reference, 2),
            "per_second": round(count / reference, 1),
        },
        "ratio": round(reference / seconds, 3),  # the follow-ups' rate over the plain INSERTs'
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4, help="jobs at once per worker process")
    parser.add_argument("--engine", choices=("procrastinate", "loop"), default="procrastinate")
    parser.add_argument("--smoke", action="store_true", help="500 follow-ups")
    parser.add_argument("--json", action="store_true", help="one JSON line")
    args = parser.parse_args()
    url = os.environ.get("RAPPORT_BENCH_DATABASE_URL") or os.environ.get("RAPPORT_TEST_DATABASE_URL", "")
    if not url:
        raise SystemExit(
            "set RAPPORT_BENCH_DATABASE_URL (postgresql+psycopg://...): this benchmark needs PostgreSQL"
        )
    count = 500 if args.smoke else args.count
    load_start = [round(x, 2) for x in os.getloadavg()]
    with temporary_schema(url, prefix="rapport_bench") as schema_url, TemporaryDirectory() as folder:
        result = run(schema_url, count, args.workers, args.engine, Path(folder), args.concurrency)
    result["load_average_start"] = load_start
    result["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        print(json.dumps(result))
    else:
        for name, value in result.items():
            print(f"{name:>16}: {value}")
    if not result["exactly_once"]:
        raise SystemExit("NOT exactly once")


if __name__ == "__main__":
    main()
