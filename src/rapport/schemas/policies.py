"""The merchant's policy over the API: the version in force with its YAML text, the history, a new one."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from rapport.domain.policy_version import PolicyVersionInfo, StoredPolicy

MAX_POLICY_CHARS = 200_000  # services.policies refuses more; the schema says so up front


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)


class PolicyVersionOut(_Out):
    """One saved version: who saved it, when, and the note they wrote."""

    version: int = Field(examples=[3])
    author: str = Field(examples=["admin@acme.example"], description="The e-mail, or `cli`")
    note: str | None
    created_at: datetime

    @classmethod
    def from_domain(cls, info: PolicyVersionInfo) -> PolicyVersionOut:
        return cls(version=info.version, author=info.author, note=info.note, created_at=info.created_at)


class PolicyOut(_Out):
    """The policy in force. `version` null: the merchant has stored none and uses the configured file,
    whose text the API does not serve (`source` null too)."""

    version: int | None
    source: str | None
    saved: PolicyVersionOut | None

    @classmethod
    def from_domain(cls, stored: StoredPolicy | None) -> PolicyOut:
        if stored is None:
            return cls(version=None, source=None, saved=None)
        info = PolicyVersionOut.from_domain(stored.info)
        return cls(version=stored.info.version, source=stored.source, saved=info)


class PolicyIn(BaseModel):
    """A new version: the whole policy as YAML, validated before it is stored (errors name line and field)."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=1, max_length=MAX_POLICY_CHARS)
    note: str | None = Field(default=None, max_length=500, description="What changed, for the history")
