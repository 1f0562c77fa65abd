"""What the HTTP benchmarks share: waiting for a `rapport serve` process they started to answer."""

from __future__ import annotations

import contextlib
import subprocess
import time
from pathlib import Path

import httpx


def wait_until_healthy(process: subprocess.Popen[bytes], base: str, log: Path, *, seconds: float) -> None:
    """Return once `GET {base}/healthz` answers; raise with the log's tail if the server exits or does
    not answer within `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"rapport serve exited: {log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/healthz", timeout=1).is_success:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"rapport serve did not answer /healthz within {seconds:.0f} s")
        time.sleep(0.1)
