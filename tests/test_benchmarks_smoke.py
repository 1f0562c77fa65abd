"""The desk's benchmarks run (`--smoke`: a tiny store, short rounds) and report what they measured.

Their figures are not checked here: timed tests on a shared machine say nothing. What is checked is that
each script runs to the end, answers every request, and that the claim benchmark's exactly-once check
holds. With RAPPORT_TEST_DATABASE_URL set, the same runs happen on PostgreSQL too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"

pytestmark = pytest.mark.slow


def smoke(script: str, *args: str, env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Run `benchmarks/SCRIPT --smoke --json ARGS`; its JSON result lines."""
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--smoke", "--json", *args],
        cwd=ROOT,
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert results, done.stdout
    return results


def postgres_env() -> dict[str, str]:
    url = os.environ.get("RAPPORT_TEST_DATABASE_URL")
    if not url:
        pytest.skip("PostgreSQL tests need RAPPORT_TEST_DATABASE_URL (e.g. postgresql+psycopg://...)")
    return {**os.environ, "RAPPORT_BENCH_DATABASE_URL": url}


def check_intake(result: dict[str, Any]) -> None:
    for route in ("me", "intake"):
        assert result[route]["requests"] > 0
        assert result[route]["errors"] == {}
    assert result["ratio"] > 0


def check_claims(result: dict[str, Any]) -> None:
    assert result["claimed"] == result["tickets"]
    assert result["exactly_once"] is True


def test_the_intake_benchmark_serves_both_routes_without_an_error_on_sqlite() -> None:
    (result,) = smoke("bench_intake.py", "--database", "sqlite", "--classifier", "tfidf")
    assert result["database"] == "sqlite"
    check_intake(result)


def test_the_claim_benchmark_claims_every_ticket_exactly_once_on_sqlite() -> None:
    (result,) = smoke("bench_claim.py", "--database", "sqlite")
    check_claims(result)


@pytest.mark.postgres
def test_both_benchmarks_run_on_postgresql() -> None:
    env = postgres_env()
    (intake,) = smoke("bench_intake.py", "--database", "postgresql", "--classifier", "tfidf", env=env)
    check_intake(intake)
    (claims,) = smoke("bench_claim.py", "--database", "postgresql", env=env)
    check_claims(claims)


def test_the_synth_benchmark_loads_every_customer_on_sqlite() -> None:
    (result,) = smoke("bench_synth.py")
    assert result["synth"]["tables"]["customers"] == 2_000
    assert result["reference"]["rows_per_s"] > 0
