"""Shared fixtures for engine tests."""

from __future__ import annotations

import pytest

from rapport.policy import Policy, default_policy


@pytest.fixture(scope="session")
def policy() -> Policy:
    """The shipped default policy."""
    return default_policy()
