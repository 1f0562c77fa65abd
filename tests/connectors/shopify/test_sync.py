"""Initial and incremental sync from the fake shop's bulk operation into a real database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from rapport.connectors.shopify.client import GraphQLClient
from rapport.connectors.shopify.errors import BulkOperationFailed, ShopifyUnavailable
from rapport.connectors.shopify.sync import ShopifyBulkFeed
from rapport.domain.signals import SignalRules
from rapport.services.shopify_sync import sync_shop
from rapport.store.unit_of_work import UnitOfWork

from .conftest import NOW, profile_of
from .fake_shopify import FakeShopify


def count_customers(uow_factory: Callable[[], UnitOfWork]) -> int:
    with uow_factory() as uow:
        return uow.customers.count(merchant_id=uow.merchants.get_or_create(slug="default"))


def sync(client: GraphQLClient, uow_factory: Callable[[], UnitOfWork], **options):  # noqa: ANN003, ANN201
    feed = ShopifyBulkFeed(client)
    options.setdefault("rules", SignalRules())
    return sync_shop(uow_factory, feed, merchant="default", now=NOW, batch_lines=5, **options)


def test_a_full_sync_gives_the_customer_the_right_spend_and_order_count(
    client: GraphQLClient, uow_factory: Callable[[], UnitOfWork]
) -> None:
    sync(client, uow_factory)
    profile = profile_of(uow_factory, "dana.lee@example.com")
    assert (profile.orders_count, str(profile.total_spent), profile.loyalty_tier) == (2, "184.00", "gold")


def test_every_customer_of_the_shop_is_synced(client: GraphQLClient, uow_factory, fake: FakeShopify) -> None:  # noqa: ANN001
    sync(client, uow_factory)
    assert count_customers(uow_factory) == len(fake.data.customers)


def test_syncing_twice_creates_no_duplicates(client: GraphQLClient, uow_factory, fake: FakeShopify) -> None:  # noqa: ANN001
    sync(client, uow_factory)
    sync(client, uow_factory, full=True)
    assert (count_customers(uow_factory), profile_of(uow_factory, "dana.lee@example.com").orders_count) == (
        12,
        2,
    )


def test_a_download_cut_mid_file_is_resumed_and_nothing_is_lost(
    client: GraphQLClient,
    uow_factory,
    fake: FakeShopify,  # noqa: ANN001
) -> None:
    fake.cut_downloads_after.append(700)
    sync(client, uow_factory)
    assert count_customers(uow_factory) == 12


def test_an_interrupted_sync_run_again_completes_from_where_it_stopped(
    client: GraphQLClient,
    uow_factory,
    fake: FakeShopify,  # noqa: ANN001
) -> None:
    fake.cut_downloads_after.extend([2500, 0, 0])  # more cuts than the retry budget: the run fails
    with pytest.raises(ShopifyUnavailable):
        sync(client, uow_factory)
    report = sync(client, uow_factory)
    assert report.resumed_from_line > 0
    assert count_customers(uow_factory) == 12
    assert profile_of(uow_factory, "dana.lee@example.com").orders_count == 2


def test_an_incremental_sync_fetches_only_customers_changed_since_the_last_one(
    client: GraphQLClient,
    uow_factory,
    fake: FakeShopify,  # noqa: ANN001
) -> None:
    sync(client, uow_factory)
    changed = fake.data.customers[3]
    changed.updated_at = NOW + timedelta(days=1)
    changed.tags = ["subscription"]
    report = sync(client, uow_factory)
    assert (report.mode, report.customers) == ("incremental", 1)
    assert profile_of(uow_factory, changed.email).has_active_subscription is True


def test_a_failed_bulk_operation_is_reported_with_its_error_code(
    client: GraphQLClient, uow_factory, fake
) -> None:  # noqa: ANN001
    fake.bulk_error_code = "ACCESS_DENIED"
    with pytest.raises(BulkOperationFailed, match="ACCESS_DENIED"):
        sync(client, uow_factory)


def test_a_truncated_result_file_is_reported_with_its_line(client: GraphQLClient, uow_factory, fake) -> None:  # noqa: ANN001
    fake.data.customers = fake.data.customers[:2]
    original = fake.data.bulk_jsonl
    fake.data.bulk_jsonl = lambda **kw: iter([*original(**kw), b'{"id":"gid://shopify/Customer/9","email'])  # type: ignore[method-assign]
    with pytest.raises(BulkOperationFailed, match="not complete JSON"):
        sync(client, uow_factory)
