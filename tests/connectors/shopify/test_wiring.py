"""The connector's place in the layers, and its wiring from the settings at the composition root."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic import SecretStr

from rapport.bootstrap import build, shopify_endpoint
from rapport.config import Settings
from rapport.connectors.shopify.client import ShopifyEndpoint
from rapport.connectors.shopify.errors import ShopifyNotConfigured
from rapport.connectors.shopify.webhooks import ShopifyWebhookVerifier

CONNECTORS = Path(__file__).resolve().parents[3] / "src" / "rapport" / "connectors"
FORBIDDEN = ("rapport.services", "rapport.config", "rapport.store", "rapport.bootstrap", "rapport.cli")


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_connectors_import_neither_services_nor_config_nor_store() -> None:
    offenders = sorted(
        f"{path.relative_to(CONNECTORS)}: {module}"
        for path in CONNECTORS.rglob("*.py")
        for module in imports_of(path)
        if any(module == f or module.startswith(f + ".") for f in FORBIDDEN)
    )
    assert offenders == []


def test_the_endpoint_comes_from_settings_with_the_default_admin_url() -> None:
    settings = Settings(shopify_shop="acme.myshopify.com", shopify_access_token=SecretStr("shpat_x"))
    endpoint = shopify_endpoint(settings)
    assert endpoint.graphql_url == "https://acme.myshopify.com/admin/api/2025-01/graphql.json"


def test_settings_without_a_token_are_refused_with_the_variable_to_set() -> None:
    with pytest.raises(ShopifyNotConfigured, match="RAPPORT_SHOPIFY_ACCESS_TOKEN"):
        shopify_endpoint(Settings(shopify_shop="acme.myshopify.com"))


def test_the_access_token_never_shows_in_the_endpoints_repr() -> None:
    endpoint = shopify_endpoint(
        Settings(shopify_shop="acme.myshopify.com", shopify_access_token=SecretStr("shpat_secret123"))
    )
    assert "shpat_secret123" not in repr(endpoint)
    assert endpoint.access_token.get_secret_value() == "shpat_secret123"


def test_a_plain_string_token_is_kept_secret_too() -> None:
    endpoint = ShopifyEndpoint("acme.myshopify.com", "shpat_plain", "2025-01", "https://x")  # type: ignore[arg-type]
    assert "shpat_plain" not in repr(endpoint)


def test_the_webhook_secret_never_shows_in_the_reprs(uow_factory) -> None:  # noqa: ANN001
    from rapport.policy import default_policy

    settings = Settings(shopify_webhook_secret=SecretStr("whsec_hidden"))
    verifier = ShopifyWebhookVerifier(settings.shopify_webhook_secret)
    app = build(settings, policy=default_policy(), uow_factory=uow_factory, create_merchant=True)
    service = app.webhooks()
    assert "whsec_hidden" not in repr(verifier)
    assert "whsec_hidden" not in repr(service.verifier)
