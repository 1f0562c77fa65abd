"""The order's changes reach the follow-ups through the real sources: a JSON Lines import run again with
the order delivered, then cancelled, and a Shopify orders webhook."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from desk_builders import LENA, NOW, make_desk
from follow_up_builders import follow_ups_of
from order_change_builders import ORDER, POLICY_TEXT, delivery_policy, resolved_about_order
from pydantic import SecretStr

from rapport.bootstrap import build
from rapport.config import Settings
from rapport.domain.follow_ups import FollowUpEntry, FollowUpStatus
from rapport.policy import Policy
from rapport.services.follow_ups.order_changes import ORDER_CANCELLED
from rapport.services.importing import import_jsonl
from rapport.services.policies import save_policy
from rapport.services.webhooks import WebhookService
from rapport.store.unit_of_work import UnitsOfWork

SECRET = "whsec_test"
SHOP = "acme.myshopify.com"


def by_kind(units: UnitsOfWork, merchant_id: int, ticket_id: int) -> dict[str, FollowUpEntry]:
    return {f.kind: f for f in follow_ups_of(units, merchant_id, ticket_id)}


def import_lines(
    units: UnitsOfWork, tmp_path: Path, *lines: dict[str, Any], policy: Policy | None = None
) -> None:
    path = tmp_path / f"import-{len(list(tmp_path.iterdir()))}.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    report = import_jsonl(units, path=path, merchant="birch", policy=policy)
    assert report.errors == []


def order_line(**fields: object) -> dict[str, Any]:
    line = {
        "kind": "order",
        "id": ORDER,
        "customer_id": "c-lena",
        "name": f"#{ORDER}",
        "created_at": (NOW - timedelta(days=2)).isoformat(),
        "total": "50.00",
        "currency": "USD",
    }
    return {**line, **fields}


def test_importing_the_order_delivered_then_cancelled_moves_then_cancels_its_follow_ups(
    uow_factory: UnitsOfWork, tmp_path: Path
) -> None:
    desk = make_desk(uow_factory, slug="birch", policy=delivery_policy())
    merchant_id = desk.tenant.merchant.id
    # The import is given no policy: it times the move by the merchant's stored one.
    save_policy(
        uow_factory, merchant_id=merchant_id, merchant_slug="birch", source=POLICY_TEXT, actor=None, now=NOW
    )
    customer = {"kind": "customer", "id": "c-lena", "email": LENA, "first_name": "Lena"}
    import_lines(uow_factory, tmp_path, customer, order_line())
    today = datetime.now(UTC).replace(microsecond=0)  # the import's clock is the real one
    ticket_id = resolved_about_order(desk, at=today - timedelta(hours=2))
    assert by_kind(uow_factory, merchant_id, ticket_id)["check_in"].anchor == "resolution"

    delivered_at = today - timedelta(hours=1)
    import_lines(
        uow_factory,
        tmp_path,
        order_line(fulfillment_status="delivered", updated_at=delivered_at.isoformat()),
    )
    check_in = by_kind(uow_factory, merchant_id, ticket_id)["check_in"]
    assert (check_in.anchor, check_in.due_at) == ("delivery", delivered_at + timedelta(days=3))

    import_lines(
        uow_factory, tmp_path, order_line(fulfillment_status="delivered", cancelled_at=today.isoformat())
    )
    follow_ups = by_kind(uow_factory, merchant_id, ticket_id).values()
    assert {(f.status, f.cancelled_reason) for f in follow_ups} == {
        (FollowUpStatus.CANCELLED, ORDER_CANCELLED)
    }


def test_an_import_given_the_configured_policy_moves_the_follow_ups_of_a_merchant_without_a_stored_one(
    uow_factory: UnitsOfWork, tmp_path: Path
) -> None:
    desk = make_desk(uow_factory, slug="birch", policy=delivery_policy())
    merchant_id = desk.tenant.merchant.id
    customer = {"kind": "customer", "id": "c-lena", "email": LENA, "first_name": "Lena"}
    import_lines(uow_factory, tmp_path, customer, order_line())
    today = datetime.now(UTC).replace(microsecond=0)
    ticket_id = resolved_about_order(desk, at=today - timedelta(hours=2))
    delivered_at = today - timedelta(hours=1)
    import_lines(
        uow_factory,
        tmp_path,
        order_line(fulfillment_status="delivered", updated_at=delivered_at.isoformat()),
        policy=delivery_policy(),  # what `rapport import` passes: the policy file (nothing is stored)
    )
    check_in = by_kind(uow_factory, merchant_id, ticket_id)["check_in"]
    assert (check_in.anchor, check_in.due_at) == ("delivery", delivered_at + timedelta(days=3))


def deliver(hooks: WebhookService, topic: str, payload: dict[str, Any], delivery: str) -> str:
    body = json.dumps(payload).encode()
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    headers = {
        "X-Shopify-Hmac-Sha256": signature,
        "X-Shopify-Topic": topic,
        "X-Shopify-Webhook-Id": delivery,
        "X-Shopify-Shop-Domain": SHOP,
    }
    return hooks.receive(headers, body).status


def shopify_order(**fields: object) -> dict[str, Any]:
    order = {
        "id": int(ORDER),
        "name": f"#{ORDER}",
        "email": LENA,
        "created_at": (NOW - timedelta(days=2)).isoformat(),
        "updated_at": (NOW - timedelta(days=2)).isoformat(),
        "total_price": "50.00",
        "currency": "USD",
        "financial_status": "paid",
        "fulfillment_status": None,
        "customer": {"id": 77, "email": LENA, "first_name": "Lena"},
        "line_items": [{"title": "Stoneware bowl set", "quantity": 1, "price": "50.00"}],
    }
    return {**order, **fields}


def test_a_shopify_orders_cancelled_webhook_cancels_the_orders_follow_ups(uow_factory: UnitsOfWork) -> None:
    settings = Settings(shopify_webhook_secret=SecretStr(SECRET), shopify_shop=SHOP)
    app = build(settings, policy=delivery_policy(), uow_factory=uow_factory, create_merchant=True)
    hooks = app.webhooks(clock=lambda: NOW)
    assert deliver(hooks, "orders/create", shopify_order(), "wh-1") == "processed"
    desk = make_desk(uow_factory, slug=app.merchant.slug, policy=delivery_policy())
    ticket_id = resolved_about_order(desk, at=NOW + timedelta(hours=1))
    cancelled = shopify_order(
        cancelled_at=(NOW + timedelta(days=1)).isoformat(),
        updated_at=(NOW + timedelta(days=1)).isoformat(),
        financial_status="voided",
    )
    assert deliver(hooks, "orders/cancelled", cancelled, "wh-2") == "processed"
    follow_ups = by_kind(uow_factory, app.merchant.id, ticket_id).values()
    assert {(f.status, f.cancelled_reason) for f in follow_ups} == {
        (FollowUpStatus.CANCELLED, ORDER_CANCELLED)
    }
