"""`rapport merchant ...`: create a merchant on purpose, and list them (an unknown one is never created
by a typo in RAPPORT_MERCHANT)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from rapport.cli.context import application, console, reported_errors
from rapport.domain.errors import InvalidInput

merchant_app = typer.Typer(help="Create and list the merchants in the store.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the `merchant` command group to the main app."""
    app.add_typer(merchant_app, name="merchant")


@merchant_app.command("add")
def add(
    name: str = typer.Argument(..., help="The merchant's name, as RAPPORT_MERCHANT will name it."),
    shop_domain: str | None = typer.Option(
        None, "--shop-domain", help="Its Shopify shop (acme.myshopify.com): that shop's webhooks go to it."
    ),
    currency: str | None = typer.Option(
        None,
        help="ISO 4217 code (default USD, or the policy's); it then follows the merchant's policy.",
    ),
    policy: Path | None = typer.Option(
        None,
        "--policy",
        help="A policy file, validated (FILE:LINE errors, exit 2, nothing created) and stored as the "
        "merchant's policy version 1.",
    ),
) -> None:
    """Create a merchant; a name or shop domain another merchant has is refused (exit 2)."""
    from rapport.services.merchants import add_merchant

    with reported_errors():  # a name or shop another merchant has is an input error: exit 2
        source = _read_policy(policy) if policy is not None else None
        merchant = add_merchant(
            application().uow_factory,
            name=name,
            currency=currency,
            shop_domain=shop_domain,
            policy_source=source,
            policy_name=str(policy),
            now=datetime.now(UTC),
        )
    shop = f", shop {merchant.shop_domain}" if merchant.shop_domain else ""
    stored = f", policy v1 from {policy}" if policy is not None else ""
    console.print(f"merchant added: {merchant.slug} ({merchant.currency}{shop}{stored})")


def _read_policy(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot read the policy: {exc}") from None


@merchant_app.command("list")
def list_() -> None:
    """Print every merchant: name, currency, shop domain (one a line, tab-separated)."""
    from rapport.services.merchants import list_merchants

    with reported_errors():
        merchants = list_merchants(application().uow_factory)
    for merchant in merchants:
        typer.echo(f"{merchant.slug}\t{merchant.currency}\t{merchant.shop_domain or '-'}")
