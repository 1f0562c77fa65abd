"""`rapport merchant add|list`, and an unknown RAPPORT_MERCHANT refused instead of created."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from rapport.cli.main import app


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh folder with its own database and the default policy (`rapport init`)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAPPORT_DATABASE_URL", f"sqlite:///{tmp_path / 'rapport.db'}")
    for name in ("RAPPORT_POLICY_PATH", "RAPPORT_MERCHANT", "RAPPORT_SHOPIFY_SHOP"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def rapport(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_an_added_merchant_is_listed_with_its_currency_and_shop(workdir: Path) -> None:
    added = rapport("merchant", "add", "acme", "--shop-domain", "acme.myshopify.com", "--currency", "EUR")
    assert added.exit_code == 0, added.output
    assert rapport("merchant", "list").stdout == "acme\tEUR\tacme.myshopify.com\n"


def test_adding_a_merchant_twice_is_a_one_line_error_with_exit_2(workdir: Path) -> None:
    rapport("merchant", "add", "acme")
    again = rapport("merchant", "add", "acme")
    assert again.exit_code == 2
    assert again.output == "error: merchant 'acme' already exists (`rapport merchant list` shows them)\n"


def test_adding_a_merchant_with_a_shop_another_has_is_refused_with_exit_2(workdir: Path) -> None:
    rapport("merchant", "add", "acme", "--shop-domain", "acme.myshopify.com")
    other = rapport("merchant", "add", "globex", "--shop-domain", "acme.myshopify.com")
    assert other.exit_code == 2
    assert "acme.myshopify.com already belongs to merchant 'acme'" in other.output
    assert rapport("merchant", "list").stdout == "acme\tUSD\tacme.myshopify.com\n"


def test_init_creates_the_configured_merchant_bound_to_the_configured_shop(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAPPORT_SHOPIFY_SHOP", "acme.myshopify.com")
    assert rapport("init").exit_code == 0
    assert rapport("merchant", "list").stdout == "default\tUSD\tacme.myshopify.com\n"


def test_a_misspelt_merchant_is_an_error_and_is_not_created(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The defect: RAPPORT_MERCHANT=defualt silently created a new, empty merchant.
    assert rapport("init").exit_code == 0
    monkeypatch.setenv("RAPPORT_MERCHANT", "defualt")
    result = rapport("profile", "dana.lee@example.com")
    assert result.exit_code == 2
    assert "merchant 'defualt' does not exist" in result.output
    assert rapport("merchant", "list").stdout == "default\tUSD\t-\n"
