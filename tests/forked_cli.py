"""`rapport` commands run each in a process of its own without paying the CLI's imports each time.

A command line of `rapport` spends most of its time importing (SQLAlchemy, pydantic, matplotlib, the
models: seconds on a loaded 2-core machine) before it does anything. `ForkedRapport` starts one Python
that imports `rapport.cli.main` once, then forks a child per command: each child is a fresh process
(its own memory, cwd, environment, stdin, stdout, stderr and exit code, nothing kept from the command
before) that runs the app exactly as the installed `rapport` script does. What a fork does not prove
is that the script itself starts; tests using this run at least one command through the real script.

Safe to fork because importing the CLI starts no thread (checked at start) and reads no setting: the
settings are read from the environment when a command runs (`rapport.cli.context.settings`).
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

# The forking server: imports the CLI, then per request (a JSON line on stdin) forks a child that runs
# the app as `.venv/bin/rapport` does, and answers the child's exit code (a JSON line on stdout).
SERVER = r"""
import json, os, sys, threading, traceback
from rapport.cli.main import app
assert threading.active_count() == 1, "importing the CLI started a thread: forking would be unsafe"
answers = os.fdopen(os.dup(1), "w", buffering=1)
for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.chdir(request["cwd"])
            os.environ.clear()
            os.environ.update(request["env"])
            for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, request["out"], os.O_WRONLY),
                                    (2, request["err"], os.O_WRONLY)):
                os.dup2(os.open(path, flags), fd)
            sys.argv = ["rapport", *request["args"]]
            try:
                app()
                code = 0
            except SystemExit as done:  # what the interpreter does with the script's sys.exit(app())
                if done.code is None or isinstance(done.code, int):
                    code = done.code or 0
                else:
                    print(done.code, file=sys.stderr)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    answers.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}) + "\n")
"""


@dataclass(frozen=True)
class Ran:
    """What one command did, as `subprocess.run(..., capture_output=True, text=True)` reports it."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str


class ForkedRapport:
    """`rapport` commands in `cwd` with `env` (the server's own environment too: nothing read at import
    differs from a real run), each a fork of one interpreter that imported the CLI once."""

    def __init__(self, *, cwd: Path, env: dict[str, str], timeout: float = 120) -> None:
        self.cwd, self.env, self.timeout = cwd, env, timeout
        self._scratch = tempfile.TemporaryDirectory(prefix="forked-rapport-")
        self._server = subprocess.Popen(
            [sys.executable, "-c", SERVER],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its process group: a hung command is stopped with the server
        )

    def run(self, args: list[str]) -> Ran:
        """`rapport *args`; bounded by the timeout (the server and its child are killed past it)."""
        out, err = (Path(self._scratch.name) / name for name in ("stdout", "stderr"))
        out.write_bytes(b"")
        err.write_bytes(b"")
        request = {"args": args, "cwd": str(self.cwd), "env": self.env, "out": str(out), "err": str(err)}
        assert self._server.stdin is not None
        assert self._server.stdout is not None
        self._server.stdin.write(json.dumps(request) + "\n")
        self._server.stdin.flush()
        ready, _, _ = select.select([self._server.stdout], [], [], self.timeout)
        if not ready:
            self.close()
            raise AssertionError(f"rapport {' '.join(args)}: no answer within {self.timeout} s")
        answer = self._server.stdout.readline()
        assert answer, f"the forking server exited (rapport {' '.join(args)}): {err.read_text()}"
        returncode = int(json.loads(answer)["returncode"])
        return Ran(args, returncode, out.read_text(encoding="utf-8"), err.read_text(encoding="utf-8"))

    def close(self) -> None:
        if self._server.poll() is None:
            os.killpg(self._server.pid, signal.SIGKILL)
        self._server.wait(timeout=10)
        for pipe in (self._server.stdin, self._server.stdout):
            if pipe is not None:
                pipe.close()
        self._scratch.cleanup()

    def __enter__(self) -> ForkedRapport:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
