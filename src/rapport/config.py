"""Settings: the one place that reads the environment (variables prefixed RAPPORT_)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict

from rapport.domain.errors import InvalidInput


class Settings(BaseSettings):
    """Everything configurable from the environment or a `.env` file."""

    model_config = SettingsConfigDict(env_prefix="RAPPORT_", env_file=".env", extra="ignore")

    # Store: an SQLite file beside you by default; PostgreSQL in production.
    database_url: str = "sqlite:///rapport.db"
    # The merchant whose data the CLI works on (every row belongs to one merchant).
    merchant: str = "default"
    # The merchant policy file.
    policy_path: Path = Path("rapport.yaml")

    # API: the largest request body accepted (bytes, counted as they stream); above it, 413.
    max_request_bytes: int = Field(default=1_000_000, ge=1)

    # Operations (docs/deployment.md). GET /metrics answers only `Authorization: Bearer <metrics_token>`
    # (401 otherwise); with no token set every request is refused (401), so nothing is exposed by default.
    metrics_token: SecretStr = SecretStr("")
    # The request log (one line per request, with its X-Request-ID): "json" for log collectors, else plain.
    log_format: Literal["plain", "json"] = "plain"
    # prometheus_client's own variable (not RAPPORT_-prefixed): a directory shared by the API processes of
    # one machine, where each writes its counters so that any of them answers /metrics for all.
    prometheus_multiproc_dir: Path | None = Field(default=None, validation_alias="PROMETHEUS_MULTIPROC_DIR")

    # How messages are read: "best" is the best model installed (with the `encoder` extra, the combined
    # model: about 4 ms a message); "tfidf" the packaged TF-IDF model alone (about 0.4 ms, a little less
    # accurate: docs/understanding.md), for a server that needs the speed.
    intent_model: Literal["best", "tfidf"] = "best"

    # LLM drafter: any OpenAI-compatible chat-completions endpoint. Empty base URL = templates only.
    llm_base_url: str = ""
    llm_model: str = "gpt-4o-mini"
    llm_api_key: SecretStr = SecretStr("")
    llm_timeout_seconds: float = 20.0

    # Shopify Admin API connector.
    shopify_shop: str = ""  # e.g. "acme.myshopify.com"
    shopify_access_token: SecretStr = SecretStr("")
    shopify_api_version: str = "2025-01"
    shopify_api_base_url: str = (
        ""  # override for tests and proxies; default https://{shop}/admin/api/{version}
    )
    shopify_webhook_secret: SecretStr = SecretStr("")

    # Follow-up delivery (docs/follow_ups.md): where drafted follow-ups go. "outbox" writes one .eml
    # per message into outbox_dir (the demo's and a trial's default: nothing leaves the machine).
    follow_up_delivery: Literal["outbox", "smtp", "helpdesk_webhook"] = "outbox"
    outbox_dir: Path = Path("outbox")
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"  # "none" only on a trusted network
    smtp_username: str = ""  # empty: no login
    smtp_password: SecretStr = SecretStr("")
    smtp_from: str = ""  # the From address, e.g. "support@acme.example"
    smtp_from_name: str = ""
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    helpdesk_webhook_url: str = ""  # the merchant's help desk endpoint that receives follow-ups
    helpdesk_webhook_secret: SecretStr = SecretStr("")  # HMAC-SHA256 key of X-Rapport-Signature
    helpdesk_webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # CSAT: the one-click links of a satisfaction survey are signed with csat_secret (empty: no links)
    # and point at csat_base_url, where `rapport serve` answers GET /csat/{token}.
    csat_secret: SecretStr = SecretStr("")
    csat_base_url: str = "http://127.0.0.1:8000"
    csat_link_days: int = Field(default=30, ge=1)

    # Follow-up worker (`rapport worker`, and the runner inside `rapport serve`): "auto" runs
    # procrastinate on PostgreSQL and the in-process loop on SQLite. A claimed follow-up is held for
    # follow_up_lease_seconds (longer than any send's timeout), then another worker may take it over.
    worker_engine: Literal["auto", "procrastinate", "loop"] = "auto"
    worker_idle_seconds: float = Field(default=5.0, gt=0)  # the loop's wait when nothing is due
    worker_concurrency: int = Field(default=2, ge=1, le=64)  # procrastinate jobs run at once per worker
    worker_tick_seconds: int = Field(default=10, ge=1, le=30)  # how often procrastinate looks for due ones
    worker_in_serve: bool = False  # run the in-process loop inside `rapport serve` (SQLite)
    follow_up_batch_size: int = Field(default=50, ge=1, le=10_000)
    follow_up_lease_seconds: float = Field(default=300.0, ge=1)
    follow_up_max_attempts: int = Field(default=5, ge=1, le=100)
    follow_up_retry_base_seconds: float = Field(default=60.0, gt=0)


def load_settings() -> Settings:
    """Read the settings from the environment (called by entrypoints only, never by the core); a value
    that is not valid is an `InvalidInput` naming its variable (`RAPPORT_INTENT_MODEL: ...`)."""
    try:
        return Settings()
    except ValidationError as exc:
        raise InvalidInput("; ".join(_problem(error) for error in exc.errors())) from None


def _problem(error: ErrorDetails) -> str:
    field = str(error["loc"][0]) if error["loc"] else ""
    variable = Settings.model_fields[field].validation_alias if field in Settings.model_fields else None
    name = variable if isinstance(variable, str) else f"RAPPORT_{field.upper()}"
    return f"{name}: {error['msg']} (got {error.get('input')!r})"
