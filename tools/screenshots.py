"""Save screenshots of the workspace's main pages (login, queue board, ticket, policy) to docs/screenshots/.

Runs the browser tests (tests/web/test_browser.py: Debian's chromium, a 1366x768 window, the seeded store)
with RAPPORT_SCREENSHOTS set, so the pictures show exactly what the tests check.

    .venv/bin/python tools/screenshots.py [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("login", "queue-board", "ticket", "policy")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    out = parser.parse_args().out.resolve()
    for name in PAGES:  # a run that skips must not leave old pictures looking new
        (out / f"{name}.png").unlink(missing_ok=True)
    env = {**os.environ, "RAPPORT_SCREENSHOTS": str(out)}
    test = ROOT / "tests" / "web" / "test_browser.py"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test)], env=env
    )
    missing = [name for name in PAGES if not (out / f"{name}.png").exists()]
    if done.returncode != 0 or missing:
        sys.stderr.write(f"screenshots: the browser tests failed or skipped; missing: {', '.join(missing)}\n")
        return 1
    for name in PAGES:
        path = out / f"{name}.png"
        sys.stdout.write(
            f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
            f"{path.stat().st_size // 1024} KB\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
