"""`rapport worker` and `rapport follow-ups`: due follow-ups sent through the configured delivery; a
real worker process killed mid-send loses nothing, and what it may have sent twice carries one key.
The killed worker runs what `rapport worker` runs: the in-process loop on SQLite, procrastinate's
worker on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from follow_up_seeds import seed_due_follow_ups
from rapport.cli import follow_ups_cmd, worker_cmd
from rapport.store.database import make_engine, upgrade
from rapport.store.models import FollowUpRecord

DEFAULT_POLICY = Path(__file__).resolve().parents[2] / "src" / "rapport" / "policy" / "default_policy.yaml"
LEASE_SECONDS = 2

app = typer.Typer()
worker_cmd.register(app)
follow_ups_cmd.register(app)


@pytest.fixture
def workdir(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with the default policy, the store (migrated, merchant acme) and the outbox delivery."""
    shutil.copy(DEFAULT_POLICY, tmp_path / "rapport.yaml")
    monkeypatch.chdir(tmp_path)
    for name, value in worker_env(tmp_path, database_url).items():
        monkeypatch.setenv(name, value)
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    return tmp_path


def worker_env(folder: Path, database_url: str) -> dict[str, str]:
    return {
        "RAPPORT_DATABASE_URL": database_url,
        "RAPPORT_POLICY_PATH": str(folder / "rapport.yaml"),
        "RAPPORT_MERCHANT": "acme",
        "RAPPORT_OUTBOX_DIR": str(folder / "outbox"),
        "RAPPORT_FOLLOW_UP_DELIVERY": "outbox",
        "RAPPORT_FOLLOW_UP_LEASE_SECONDS": str(LEASE_SECONDS),
        "RAPPORT_WORKER_IDLE_SECONDS": "0.2",
        "RAPPORT_WORKER_TICK_SECONDS": "1",
    }


def seeded(database_url: str, count: int) -> int:
    engine = make_engine(database_url)
    try:
        return seed_due_follow_ups(engine, count)
    finally:
        engine.dispose()


def statuses(database_url: str) -> Counter[str]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return Counter(connection.scalars(select(FollowUpRecord.status)))
    finally:
        engine.dispose()


def test_worker_until_idle_writes_every_due_follow_up_to_the_outbox(workdir: Path, database_url: str) -> None:
    seeded(database_url, 3)
    result = CliRunner().invoke(app, ["worker", "--until-idle"])
    assert result.exit_code == 0, result.output
    assert "3 claimed, 3 sent" in result.stdout
    assert len(list((workdir / "outbox").glob("*.eml"))) == 3
    assert statuses(database_url) == Counter({"sent": 3})


def test_follow_ups_list_shows_each_follow_up_and_its_status(workdir: Path, database_url: str) -> None:
    seeded(database_url, 2)
    result = CliRunner().invoke(app, ["follow-ups", "list", "--status", "scheduled"])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if "scheduled" in line]
    assert len(rows) == 2


def test_follow_ups_list_refuses_an_unknown_status_with_exit_code_2(workdir: Path) -> None:
    result = CliRunner().invoke(app, ["follow-ups", "list", "--status", "lost"])
    assert result.exit_code == 2
    assert "--status: one of scheduled" in result.stderr


def test_retrying_a_follow_up_that_is_not_dead_is_refused_with_exit_code_2(
    workdir: Path, database_url: str
) -> None:
    seeded(database_url, 1)
    result = CliRunner().invoke(app, ["follow-ups", "retry", "1"])
    assert result.exit_code == 2
    assert "is scheduled: only a dead or failed one is retried" in result.stderr


def test_retrying_an_unknown_follow_up_is_refused_with_exit_code_2(workdir: Path, database_url: str) -> None:
    seeded(database_url, 1)
    result = CliRunner().invoke(app, ["follow-ups", "retry", "999"])
    assert (result.exit_code, result.stderr.strip()) == (2, "error: no follow-up 999")


# -- a real worker process, killed mid-send ------------------------------------------------------------

CHILD = """
import sys, time
from pathlib import Path
from rapport.bootstrap import build, follow_up_worker
from rapport.cli.worker_cmd import run_loop, run_procrastinate
from rapport.config import load_settings

log, gate, block_at, when = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

class GatedSender:
    '''Logs each message's key (the receiver's view); at message `block_at` it hangs, before or after
    the receiver got it, until the process is killed.'''
    count = 0
    def send(self, message):
        self.count += 1
        if self.count == block_at and when == "before":
            gate.write_text(message.key); time.sleep(3600)
        with log.open("a") as out:
            out.write(message.key + "\\n"); out.flush()
        if self.count == block_at and when == "after":
            gate.write_text(message.key); time.sleep(3600)

settings = load_settings()
worker = follow_up_worker(build(settings), sender=GatedSender())
if settings.database_url.startswith("postgresql"):  # what `rapport worker` runs there
    run_procrastinate(worker, settings.database_url, 2, tick_seconds=settings.worker_tick_seconds)
else:
    run_loop(worker, settings.worker_idle_seconds)
"""


def start_worker(folder: Path, database_url: str, block_at: int, when: str) -> subprocess.Popen[bytes]:
    script = folder / "worker_child.py"
    script.write_text(CHILD)
    env = {**os.environ, **worker_env(folder, database_url)}
    args = [
        sys.executable,
        str(script),
        str(folder / "received.log"),
        str(folder / "gate"),
        str(block_at),
        when,
    ]
    return subprocess.Popen(args, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for(path: Path, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(
                f"worker exited early: {process.stderr.read().decode() if process.stderr else ''}"
            )
        if time.monotonic() > deadline:
            raise AssertionError(f"{path.name} never appeared")
        time.sleep(0.05)


def kill_mid_send_then_restart(folder: Path, database_url: str, when: str) -> list[str]:
    """Five due follow-ups; the first worker hangs on the third and is SIGKILLed; once the lease has
    passed a second worker runs until idle. The keys the receiver saw, in order."""
    seeded(database_url, 5)
    first = start_worker(folder, database_url, block_at=3, when=when)
    try:
        wait_for(folder / "gate", first)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    # The batch of five was claimed: the two sent are marked, the hung one and the two after it are held.
    assert statuses(database_url) == Counter({"sent": 2, "sending": 3})
    time.sleep(LEASE_SECONDS + 0.2)  # the killed worker's claim must lapse before anyone takes it over
    second = start_worker(folder, database_url, block_at=0, when="never")
    try:
        deadline = time.monotonic() + 60
        while statuses(database_url) != Counter({"sent": 5}) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    assert statuses(database_url) == Counter({"sent": 5})
    return (folder / "received.log").read_text().split()


@pytest.mark.slow
def test_a_worker_killed_before_the_receiver_got_the_message_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path, database_url: str, workdir: Path
) -> None:
    received = kill_mid_send_then_restart(workdir, database_url, when="before")
    assert len(received) == 5
    assert len(set(received)) == 5


@pytest.mark.slow
def test_a_worker_killed_after_the_receiver_got_the_message_sends_it_again_under_the_same_key(
    tmp_path: Path, database_url: str, workdir: Path
) -> None:
    """The window no store can close: the receiver accepted, the row was not yet marked. The message
    goes again with the same key, so a receiver that drops repeated keys ends with each one once."""
    received = kill_mid_send_then_restart(workdir, database_url, when="after")
    blocked = (workdir / "gate").read_text()
    assert Counter(received)[blocked] == 2
    assert len(received) == 6
    assert len(set(received)) == 5
