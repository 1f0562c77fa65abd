"""`GET /v1/me`: who the caller is — the merchant it acts for, its role, and the person or key behind it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rapport.domain.desk import Actor, Role


class MeOut(BaseModel):
    """The caller as the API sees it: `email` is the person's (null for a machine key), `label` what the
    ticket's event log shows for them (the e-mail, or `key rk_ab12cd34`)."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)

    merchant: str = Field(examples=["default"])
    role: Role
    person: bool = Field(description="A person (a session or a personal key), not a machine key")
    email: str | None = Field(examples=["agent@demo.example"])
    label: str = Field(examples=["key rk_ab12cd34"])
    via: Literal["key", "session"]

    @classmethod
    def from_actor(cls, actor: Actor, *, merchant: str) -> MeOut:
        return cls(
            merchant=merchant,
            role=actor.role,
            person=actor.is_person,
            email=actor.label if actor.is_person else None,
            label=actor.label,
            via="key" if actor.key_id is not None else "session",
        )
