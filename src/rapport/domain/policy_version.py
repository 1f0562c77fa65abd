"""A merchant's policy as stored: its YAML text and which version it is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class PolicyVersionInfo:
    version: int
    author: str  # the e-mail of who saved it, or "cli"
    note: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoredPolicy:
    info: PolicyVersionInfo
    source: str  # the YAML text, exactly as saved
