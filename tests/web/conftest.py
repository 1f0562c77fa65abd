"""The workspace over a seeded SQLite store, through FastAPI's TestClient (no browser)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rapport.api import create_app

from .workspace_seed import NOW, PASSWORD, Workspace, copy_of, seeded_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store seeded once per test session (users' argon2 hashes are slow on purpose)."""
    directory = tmp_path_factory.mktemp("seeded")
    seeded_app(directory)
    return directory


@pytest.fixture
def workspace(seeded: Path, tmp_path: Path) -> Workspace:
    return copy_of(seeded, tmp_path)


def workspace_app(workspace: Workspace) -> FastAPI:
    """The API app, which mounts the workspace at `/`."""
    return create_app(workspace.app, clock=lambda: NOW)


@pytest.fixture
def client(workspace: Workspace) -> TestClient:
    return TestClient(workspace_app(workspace), follow_redirects=False)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


@pytest.fixture
def log_in(client: TestClient) -> Callable[[str], str]:
    """`log_in(email)`: log the client in as that user; returns the session's CSRF token."""

    def log_in_as(email: str) -> str:
        page = client.get("/login")
        response = client.post(
            "/login",
            data={"merchant": "acme", "email": email, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        )
        assert response.status_code == 303, response.text
        return csrf_of(client.get("/policy").text)

    return log_in_as
