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


def test_merchant_add_with_a_policy_stores_it_as_version_1_in_the_policys_currency(workdir: Path) -> None:
    from rapport.bootstrap import build
    from rapport.config import load_settings
    from rapport.policy import default_policy_text
    from rapport.services.policies import current_policy_source

    policy = workdir / "globex.yaml"
    policy.write_text(default_policy_text().replace("currency: USD", "currency: EUR"))
    added = rapport("merchant", "add", "globex", "--policy", str(policy))
    assert added.exit_code == 0, added.output
    assert rapport("merchant", "list").stdout == "globex\tEUR\t-\n"
    uow_factory = build(load_settings(), policy_path=policy).uow_factory
    with uow_factory() as uow:
        merchant = uow.merchants.find("globex")
    assert merchant is not None
    stored = current_policy_source(uow_factory, merchant_id=merchant.id)
    assert stored is not None
    assert stored.info.version == 1
    assert stored.info.author == "cli"
    assert stored.source == policy.read_text()


def test_merchant_add_with_a_broken_policy_names_file_and_line_and_creates_nothing(workdir: Path) -> None:
    from rapport.policy import default_policy_text

    policy = workdir / "broken.yaml"
    lines = default_policy_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("currency:"))
    lines[at] = "currency: 12"
    policy.write_text("\n".join(lines) + "\n")
    refused = rapport("merchant", "add", "globex", "--policy", str(policy))
    assert refused.exit_code == 2
    assert refused.stderr.startswith(f"{policy}:{at + 1}:")
    assert rapport("merchant", "list").stdout == ""


def test_merchant_add_with_a_missing_policy_file_is_exit_2_and_creates_nothing(workdir: Path) -> None:
    refused = rapport("merchant", "add", "globex", "--policy", str(workdir / "nope.yaml"))
    assert refused.exit_code == 2
    assert "cannot read the policy" in refused.stderr
    assert rapport("merchant", "list").stdout == ""


def test_a_currency_that_disagrees_with_the_policy_is_exit_2(workdir: Path) -> None:
    from rapport.policy import default_policy_text

    policy = workdir / "usd.yaml"
    policy.write_text(default_policy_text())
    refused = rapport("merchant", "add", "globex", "--policy", str(policy), "--currency", "EUR")
    assert refused.exit_code == 2
    assert "disagrees with the policy's currency USD" in refused.stderr
    assert rapport("merchant", "list").stdout == ""
