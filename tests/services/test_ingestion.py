"""One ingestion pipeline: the same identity rule and the merchant's own signal rules for every source."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr

from rapport.bootstrap import Rapport, build
from rapport.config import Settings
from rapport.domain import CustomerProfile
from rapport.domain.records import CustomerRecord
from rapport.policy import Policy, default_policy_text, parse_policy
from rapport.services.importing import import_jsonl
from rapport.services.ingestion.csv_import import import_shopify_csv
from rapport.services.ingestion.writer import IngestionWriter
from rapport.store.unit_of_work import UnitOfWork

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SECRET = "whsec_test"
# A merchant whose subscription app tags members `club-member` and whose loyalty tiers are gems.
OWN_SIGNALS = """
signals:
  subscription_tags: [club-member]
  loyalty_tiers: [diamond, ruby]
  loyalty_tag_prefixes: ["gem:"]
  loyalty_metafield: perks.level
"""


def merchant_policy() -> Policy:
    return parse_policy(default_policy_text() + OWN_SIGNALS, "rapport.yaml")


def app_for(uow_factory: Callable[[], UnitOfWork]) -> Rapport:
    settings = Settings(shopify_webhook_secret=SecretStr(SECRET), shopify_shop="acme.myshopify.com")
    return build(settings, policy=merchant_policy(), uow_factory=uow_factory, create_merchant=True)


def profile(app: Rapport, email: str) -> CustomerProfile:
    with app.uow_factory() as uow:
        return uow.profiles.get_profile(merchant_id=app.merchant.id, email=email, now=NOW)


def test_the_policy_signals_section_defaults_to_the_built_in_rules() -> None:
    from rapport.domain.signals import SignalRules
    from rapport.policy import default_policy

    assert default_policy().signals.rules() == SignalRules()


def test_a_csv_customers_import_honours_the_merchants_own_signal_rules(
    uow_factory: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    app = app_for(uow_factory)
    path = tmp_path / "customers_export.csv"
    path.write_text(
        'Customer ID,First Name,Email,Tags\n42,Ana,ana@example.com,"club-member, gem:ruby"\n',
        encoding="utf-8",
    )
    report = import_shopify_csv(
        app.uow_factory,
        app.shopify_csv(),
        kind="shopify-customers",
        path=path,
        merchant=app.merchant,
        rules=app.signal_rules(),
        now=NOW,
    )
    card = profile(app, "ana@example.com")
    assert (report.imported, card.has_active_subscription, card.loyalty_tier) == (1, True, "ruby")


def test_a_customer_webhook_honours_the_merchants_own_signal_rules(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    app = app_for(uow_factory)
    body = json.dumps(
        {
            "id": 7,
            "email": "Jon@Example.com",
            "first_name": "Jon",
            "tags": "club-member, gem:diamond",
            "updated_at": "2026-11-01T00:00:00Z",
        }  # fmt: skip
    ).encode()
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    headers = {
        "X-Shopify-Hmac-Sha256": signature,
        "X-Shopify-Topic": "customers/create",
        "X-Shopify-Webhook-Id": "wh-7",
        "X-Shopify-Shop-Domain": "acme.myshopify.com",
    }
    assert app.webhooks(clock=lambda: NOW).receive(headers, body).status == "processed"
    card = profile(app, "jon@example.com")
    assert (card.has_active_subscription, card.loyalty_tier) == (True, "diamond")


def test_jsonl_and_shopify_merge_an_email_owned_by_another_customer_alike(
    uow_factory: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    """A Shopify record (by the writer the sync and webhooks use) and a JSONL line, each under a new id
    with an e-mail the store already has: both update that customer, neither adds one."""
    app = app_for(uow_factory)
    path = tmp_path / "store.jsonl"
    path.write_text(
        json.dumps({"kind": "customer", "id": "c-1", "email": "dana@example.com", "first_name": "D"}) + "\n",
        encoding="utf-8",
    )
    import_jsonl(app.uow_factory, path=path, merchant=app.merchant)
    with app.uow_factory() as uow:
        writer = IngestionWriter(
            uow, merchant_id=app.merchant.id, currency="USD", now=NOW, rules=app.signal_rules()
        )
        shopify = writer.customers([CustomerRecord("9001", "DANA@example.com", first_name="Dana")])
        uow.commit()
    path.write_text(
        json.dumps({"kind": "customer", "id": "crm-77", "email": "Dana@Example.com", "first_name": "Dana L."})
        + "\n"
        + json.dumps(
            {
                "kind": "order",
                "id": 1,
                "customer_id": "crm-77",
                "created_at": "2026-11-01T10:00:00Z",
                "total": "30.00",
            }
        )  # fmt: skip
        + "\n",
        encoding="utf-8",
    )
    report = import_jsonl(app.uow_factory, path=path, merchant=app.merchant)
    with app.uow_factory() as uow:
        count = uow.customers.count(merchant_id=app.merchant.id)
    card = profile(app, "dana@example.com")
    assert (shopify.refused, shopify.changes, report.errors) == ([], [(0, "updated")], [])
    assert (count, card.first_name, card.orders_count) == (1, "Dana L.", 1)
