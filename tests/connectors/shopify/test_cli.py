"""`rapport shopify sync` and `status` end to end against the fake shop, then `rapport profile`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from rapport.cli import shopify_cmd

from .fake_shopify import FakeShopifyServer


@pytest.fixture
def app() -> typer.Typer:
    from rapport.cli.main import app as main_app

    if not any(group.name == "shopify" for group in main_app.registered_groups):
        shopify_cmd.register(main_app)
    return main_app


@pytest.fixture
def connected(server: FakeShopifyServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A working folder whose settings point at the fake shop."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAPPORT_DATABASE_URL", f"sqlite:///{tmp_path / 'r.db'}")
    monkeypatch.setenv("RAPPORT_SHOPIFY_API_BASE_URL", server.admin_url)
    monkeypatch.setenv("RAPPORT_SHOPIFY_ACCESS_TOKEN", "shpat_fake")
    from rapport.services.setup import initialize
    from rapport.store.unit_of_work import units_of_work

    # `rapport init`: the default policy, and the merchant created on purpose.
    initialize(
        units_of_work(f"sqlite:///{tmp_path / 'r.db'}"),
        merchant="default",
        policy_path=tmp_path / "rapport.yaml",
    )


@pytest.mark.usefixtures("connected")
def test_sync_then_profile_shows_the_synced_customer(app: typer.Typer) -> None:
    runner = CliRunner()
    synced = runner.invoke(app, ["shopify", "sync"])
    assert synced.exit_code == 0, synced.output
    card = json.loads(runner.invoke(app, ["profile", "dana.lee@example.com", "--json"]).output)
    assert (card["orders_count"], card["total_spent"]) == (2, "184.00")


@pytest.mark.usefixtures("connected")
def test_status_reports_the_last_sync_and_the_counts(app: typer.Typer) -> None:
    runner = CliRunner()
    runner.invoke(app, ["shopify", "sync"])
    output = runner.invoke(app, ["shopify", "status"]).output
    assert "full, completed" in output
    assert "customers: 12" in output


def test_sync_without_a_token_fails_with_one_line_naming_the_variable(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAPPORT_SHOPIFY_SHOP", "acme.myshopify.com")
    monkeypatch.delenv("RAPPORT_SHOPIFY_ACCESS_TOKEN", raising=False)
    result = CliRunner().invoke(app, ["shopify", "sync"])
    assert result.exit_code == 2
    assert "RAPPORT_SHOPIFY_ACCESS_TOKEN" in result.output
