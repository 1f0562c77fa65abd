"""Fixtures of the drafting tests: a fake chat-completions server on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .fake_llm import FakeLLMServer


@pytest.fixture(scope="module")
def llm_server() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer().start()
    yield server
    server.stop()


@pytest.fixture
def fake_llm(llm_server: FakeLLMServer) -> Iterator[FakeLLMServer]:
    """The shared server, reset to an obedient model with no recorded requests."""
    llm_server.model.mode = "good"
    llm_server.model.requests.clear()
    llm_server.model.headers.clear()
    return llm_server
