"""With PROMETHEUS_MULTIPROC_DIR, the API's counters are written to files shared by the worker processes
of `rapport serve --workers N`, so whichever worker answers the scrape reports the sum of them all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from rapport.api.metrics import metrics_for
from rapport.domain.errors import InvalidInput

from .conftest import settings

# One API worker's share of the work: count a ticket and time an intake; "scrape" prints the exposition.
WORKER = """
import sys
from rapport.api.metrics import metrics_for
from rapport.config import Settings

metrics = metrics_for(Settings(_env_file=None))
metrics.tickets.labels("priority", "vip").inc()
metrics.intake_seconds.observe(0.02)
if sys.argv[1:] == ["scrape"]:
    sys.stdout.write(metrics.exposition().decode())
"""


def run_worker(directory: Path, *args: str) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    command = [sys.executable, "-c", WORKER, *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_a_scrape_of_one_worker_sums_every_workers_counters(tmp_path: Path) -> None:
    run_worker(tmp_path)
    exposition = run_worker(tmp_path, "scrape")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(exposition)
        for s in family.samples
    }
    assert samples[("rapport_tickets_total", (("queue", "priority"), ("segment", "vip")))] == 2
    assert samples[("rapport_intake_seconds_count", ())] == 2


def test_a_multiprocess_directory_only_in_the_settings_is_refused(tmp_path: Path) -> None:
    # prometheus_client reads the variable from the environment when it is imported; here it was not set.
    with pytest.raises(InvalidInput, match="PROMETHEUS_MULTIPROC_DIR"):
        metrics_for(settings(prometheus_multiproc_dir=tmp_path))
