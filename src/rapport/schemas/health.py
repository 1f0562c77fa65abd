"""`GET /healthz`: the process is up."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class HealthOut(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)

    status: Literal["ok"] = "ok"
