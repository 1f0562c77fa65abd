"""The one error shape of every wire format: {"error": {"code": ..., "message": ...}}."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ErrorDetail(BaseModel):
    """A stable machine-readable `code` and a sentence for people."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str


class ErrorBody(BaseModel):
    """What the API answers for every 4xx and 5xx."""

    model_config = ConfigDict(frozen=True)

    error: ErrorDetail

    @classmethod
    def of(cls, code: str, message: str) -> ErrorBody:
        return cls(error=ErrorDetail(code=code, message=message))
