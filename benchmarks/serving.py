"""What the HTTP benchmarks share: the `rapport serve` command line, and waiting for a server process they
started to answer."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from pathlib import Path

import httpx

from rapport.understanding.encoder import MODEL_PACKAGE

RAPPORT = Path(sys.executable).with_name("rapport")


def serve_command(port: int, classifier: str, workers: int = 1) -> list[str]:
    """`rapport serve`; with `tfidf`, as a deployment without the optional encoder extra (the weights
    package hidden from the server process), where the packaged TF-IDF model reads the messages."""
    arguments = ["serve", "--port", str(port), "--workers", str(workers)]
    if classifier == "installed":
        return [str(RAPPORT), *arguments]
    hide = f"import sys; sys.modules[{MODEL_PACKAGE!r}] = None; "
    run = f"from rapport.cli.main import app; sys.argv = ['rapport', *{arguments!r}]; app()"
    return [sys.executable, "-c", hide + run]


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
