"""`rapport` commands run each in a process of its own without paying the CLI's imports each time.

A command line of `rapport` spends most of its time importing (SQLAlchemy, pydantic, matplotlib, the
models: seconds on a loaded 2-core machine) before it does anything. `ForkedRapport` starts one Python
that imports `rapport.cli.main` once, then forks a child per command: each child is a fresh process
(its own memory, cwd, environment, stdin, stdout, stderr and exit code, nothing kept from the command
before) that runs the app exactly as the installed `rapport` script does. What a fork does not prove
is that the script itself starts; tests using this run at least one command through the real script.

Commands come from the test (`run`) or from a shell: `bin_dir` holds a `rapport` that hands its own
arguments, environment, working directory and standard streams (pipes, `$(...)`) to the server and
exits with the command's code. Safe to fork because importing the CLI starts no thread (checked at
start) and reads no setting: settings are read from the environment when a command runs.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

# The forking server, on a Unix socket: per connection, a command (JSON) and the three file descriptors
# it is to use as stdin, stdout and stderr; it forks a child that runs the app as `.venv/bin/rapport`
# does, and answers the child's exit code (JSON).
SERVER = r"""
import json, os, socket, sys, threading, traceback
from rapport.cli.main import app
assert threading.active_count() == 1, "importing the CLI started a thread: forking would be unsafe"
listener = socket.socket(socket.AF_UNIX)
listener.bind(sys.argv[1])
listener.listen()
print("ready", flush=True)
def command(request, fds):
    code = 1
    try:
        listener.close()
        for fd, received in enumerate(fds):
            os.dup2(received, fd)
            os.close(received)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
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
while True:
    connection, _ = listener.accept()
    _, fds, _, _ = socket.recv_fds(connection, 1, 3)
    request = json.loads(connection.makefile("rb").read())
    pid = os.fork()
    if pid == 0:
        connection.close()
        command(request, fds)
    for fd in fds:  # the child's now: a pipe held open here would never reach end of file
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    connection.sendall(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}).encode())
    connection.close()
"""

# The `rapport` a shell finds in `bin_dir`: no import beyond the standard library (`-S`: not even site).
CLIENT = r"""#!{python} -S
import json, os, socket, sys
with socket.socket(socket.AF_UNIX) as server:
    server.connect({socket!r})
    socket.send_fds(server, [b"."], [0, 1, 2])
    server.sendall(json.dumps({{"args": sys.argv[1:], "cwd": os.getcwd(), "env": dict(os.environ)}}).encode())
    server.shutdown(socket.SHUT_WR)
    answer = b"".join(iter(lambda: server.recv(4096), b""))
sys.exit(json.loads(answer)["returncode"] if answer else "rapport: the forking server did not answer")
"""


@dataclass(frozen=True)
class Ran:
    """What one command did, as `subprocess.run(..., capture_output=True, text=True)` reports it."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str


class ForkedRapport:
    """`rapport` commands, by default in `cwd` with `env` (the server's own environment), each a fork of
    one interpreter that imported the CLI once (nothing it read while importing depends on `env`)."""

    def __init__(self, *, cwd: Path, env: dict[str, str], timeout: float = 120) -> None:
        self.cwd, self.env, self.timeout = cwd, env, timeout
        self._scratch = tempfile.TemporaryDirectory(prefix="forked-rapport-")
        scratch = Path(self._scratch.name)
        self.socket = str(scratch / "server.sock")
        self.bin_dir = scratch / "bin"
        self.bin_dir.mkdir()
        client = self.bin_dir / "rapport"
        client.write_text(CLIENT.format(python=sys.executable, socket=self.socket), encoding="utf-8")
        client.chmod(0o755)
        self._server = subprocess.Popen(
            [sys.executable, "-c", SERVER, self.socket],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its process group: a hung command is stopped with the server
        )
        assert self._server.stdout is not None
        ready = self._server.stdout.readline()  # after the imports; ends early if the server failed
        assert ready == "ready\n", f"the forking server did not start (exit code {self._server.poll()})"

    def run(self, args: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> Ran:
        """`rapport *args` with stdin empty, its output captured, in `cwd` with `env` (by default the
        server's); bounded by the timeout (the server and its child are killed past it)."""
        scratch = Path(self._scratch.name)
        streams = [open(os.devnull, "rb"), open(scratch / "stdout", "wb"), open(scratch / "stderr", "wb")]
        request = {"args": args, "cwd": str(cwd or self.cwd), "env": self.env if env is None else env}
        try:
            with socket.socket(socket.AF_UNIX) as server:
                server.settimeout(self.timeout)
                server.connect(self.socket)
                socket.send_fds(server, [b"."], [stream.fileno() for stream in streams])
                server.sendall(json.dumps(request).encode())
                server.shutdown(socket.SHUT_WR)
                answer = b"".join(iter(lambda: server.recv(4096), b""))
        except TimeoutError:
            self.close()
            raise AssertionError(f"rapport {' '.join(args)}: no answer within {self.timeout} s") from None
        finally:
            for stream in streams:
                stream.close()
        assert answer, f"the forking server exited (rapport {' '.join(args)})"
        stdout, stderr = ((scratch / name).read_text(encoding="utf-8") for name in ("stdout", "stderr"))
        return Ran(args, int(json.loads(answer)["returncode"]), stdout, stderr)

    def close(self) -> None:
        if self._server.poll() is None:
            os.killpg(self._server.pid, signal.SIGKILL)
        self._server.wait(timeout=10)
        if self._server.stdout is not None:
            self._server.stdout.close()
        self._scratch.cleanup()

    def __enter__(self) -> ForkedRapport:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
