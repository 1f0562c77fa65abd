"""What the CLI tests share: an application with one command group, and a working directory on SQLite."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import typer

from rapport.policy import default_policy_text


def one_command_app(register: Callable[[typer.Typer], None]) -> typer.Typer:
    """An application with only the commands `register` adds, as `rapport.cli.main` registers them."""
    app = typer.Typer()

    @app.callback()
    def main() -> None:  # a group, so that the command stays a subcommand
        """Rapport."""

    register(app)
    return app


def sqlite_workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, merchant: str = "acme") -> str:
    """`tmp_path` as the working directory of a merchant on SQLite with the shipped policy in
    `rapport.yaml`, configured by environment as a user would; the database URL."""
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'rapport.db'}"
    monkeypatch.setenv("RAPPORT_DATABASE_URL", url)
    monkeypatch.setenv("RAPPORT_MERCHANT", merchant)
    monkeypatch.setenv("RAPPORT_POLICY_PATH", str(tmp_path / "rapport.yaml"))
    (tmp_path / "rapport.yaml").write_text(default_policy_text(), encoding="utf-8")
    return url
