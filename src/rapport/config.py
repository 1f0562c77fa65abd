"""Settings: the one place that reads the environment (variables prefixed RAPPORT_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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


def load_settings() -> Settings:
    """Read the settings from the environment (called by entrypoints only, never by the core)."""
    return Settings()
