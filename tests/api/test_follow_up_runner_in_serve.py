"""`rapport serve`'s app sends follow-ups itself only when RAPPORT_WORKER_IN_SERVE says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from rapport.api.app import app_from_environment
from rapport.bootstrap import build
from rapport.config import load_settings
from rapport.services.setup import initialize


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAPPORT_DATABASE_URL", f"sqlite:///{tmp_path / 'rapport.db'}")
    monkeypatch.setenv("RAPPORT_OUTBOX_DIR", str(tmp_path / "outbox"))
    return tmp_path


def test_the_served_app_starts_no_follow_up_runner_by_default(environment: Path) -> None:
    _init()
    api = app_from_environment()
    assert api.state.follow_up_runner is None


def test_the_served_app_runs_the_follow_up_loop_when_asked(
    environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAPPORT_WORKER_IN_SERVE", "true")
    monkeypatch.setenv("RAPPORT_WORKER_IDLE_SECONDS", "0.05")
    _init()
    api = app_from_environment()
    thread, stop = api.state.follow_up_runner
    assert thread.is_alive()
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()


def _init() -> None:
    settings = load_settings()
    initialize(build(settings).uow_factory, merchant=settings.merchant, policy_path=settings.policy_path)
