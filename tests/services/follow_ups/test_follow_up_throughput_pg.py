"""10,000 due follow-ups, two real worker processes on procrastinate (PostgreSQL): each sent exactly
once. Runs benchmarks/bench_follow_ups.py, which seeds a fresh schema, starts the workers, waits until
the store says every row is sent and counts the keys each worker's sender received."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
POSTGRES_URL = os.environ.get("RAPPORT_TEST_DATABASE_URL", "")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="needs RAPPORT_TEST_DATABASE_URL (PostgreSQL)"),
]


def test_two_worker_processes_send_ten_thousand_due_follow_ups_each_exactly_once() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_follow_ups.py"), "--count", "10000", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert (result["sent_total"], result["sent_distinct"]) == (10_000, 10_000)
    assert all(sent > 0 for sent in result["sent_per_worker"])  # both processes took their share
