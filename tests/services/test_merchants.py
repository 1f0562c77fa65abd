"""Merchants: created on purpose, opened by name in the currency their policy names, bound to one shop."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fakes import FakeStore, FakeUnitOfWorkFactory

from rapport.domain.errors import InvalidInput, RecordRefused, UnknownMerchant
from rapport.services.merchants import add_merchant, list_merchants, open_merchant
from rapport.store.unit_of_work import UnitOfWork

Units = Callable[[], UnitOfWork]


def stored_currency(uow_factory: FakeUnitOfWorkFactory, slug: str) -> str | None:
    with uow_factory() as uow:
        found = uow.merchants.find(slug)
    return None if found is None else found.currency


# open_merchant: what every command does with RAPPORT_MERCHANT.


def test_a_merchant_created_on_purpose_has_the_policys_currency() -> None:
    uow_factory = FakeUnitOfWorkFactory()
    merchant = open_merchant(uow_factory, slug="acme", currency="EUR", create=True)
    assert (merchant.slug, merchant.currency) == ("acme", "EUR")
    assert stored_currency(uow_factory, "acme") == "EUR"
    assert uow_factory.committed


def test_an_unknown_merchant_is_an_error_that_says_how_to_create_it() -> None:
    # The defect: RAPPORT_MERCHANT=defualt silently created a new, empty merchant.
    with pytest.raises(
        UnknownMerchant, match=r"'defualt' does not exist.*rapport init.*rapport merchant add"
    ):
        open_merchant(
            FakeUnitOfWorkFactory(FakeStore().with_merchant("default")),
            slug="defualt",
            currency="USD",
            create=False,
        )


def test_an_unknown_merchant_is_not_created_when_it_is_refused() -> None:
    store = FakeStore().with_merchant("default")
    with pytest.raises(UnknownMerchant):
        open_merchant(FakeUnitOfWorkFactory(store), slug="defualt", currency="USD", create=False)
    assert sorted(store.state.merchants) == ["default"]


def test_an_existing_merchant_created_in_usd_follows_a_policy_in_eur() -> None:
    # The defect: after `rapport init` with an EUR policy the card said "40.00 USD", the offer "€40.00".
    uow_factory = FakeUnitOfWorkFactory(FakeStore().with_merchant("acme", currency="USD"))
    merchant = open_merchant(uow_factory, slug="acme", currency="EUR", create=False)
    assert merchant.currency == "EUR"
    assert stored_currency(uow_factory, "acme") == "EUR"


def test_opening_an_existing_merchant_keeps_its_id() -> None:
    store = FakeStore().with_merchant("acme", currency="USD")
    uow_factory = FakeUnitOfWorkFactory(store)
    assert (
        open_merchant(uow_factory, slug="acme", currency="USD", create=False).id == store.merchant("acme").id
    )


def test_a_merchant_already_in_the_policys_currency_is_not_written() -> None:
    uow_factory = FakeUnitOfWorkFactory(FakeStore().with_merchant("acme", currency="EUR"))
    open_merchant(uow_factory, slug="acme", currency="EUR", create=False)
    assert not uow_factory.committed


def test_a_merchant_created_with_a_shop_records_it_in_lower_case() -> None:
    merchant = open_merchant(
        FakeUnitOfWorkFactory(), slug="acme", currency="USD", create=True, shop_domain="Acme.myshopify.com"
    )
    assert merchant.shop_domain == "acme.myshopify.com"


def test_an_existing_merchant_without_a_shop_is_bound_to_the_one_given() -> None:
    uow_factory = FakeUnitOfWorkFactory(FakeStore().with_merchant("acme"))
    open_merchant(uow_factory, slug="acme", currency="USD", create=True, shop_domain="acme.myshopify.com")
    with uow_factory() as uow:
        assert uow.merchants.find_by_shop_domain("acme.myshopify.com").slug == "acme"


def test_a_merchant_bound_to_one_shop_is_not_rebound_to_another() -> None:
    uow_factory = FakeUnitOfWorkFactory()
    open_merchant(uow_factory, slug="acme", currency="USD", create=True, shop_domain="acme.myshopify.com")
    with pytest.raises(InvalidInput, match="bound to shop acme.myshopify.com, not other.myshopify.com"):
        open_merchant(
            uow_factory, slug="acme", currency="USD", create=True, shop_domain="other.myshopify.com"
        )


def test_a_shop_another_merchant_has_is_refused_when_opening() -> None:
    uow_factory = FakeUnitOfWorkFactory()
    open_merchant(uow_factory, slug="acme", currency="USD", create=True, shop_domain="acme.myshopify.com")
    with pytest.raises(InvalidInput, match="already belongs to merchant 'acme'"):
        open_merchant(
            uow_factory, slug="globex", currency="USD", create=True, shop_domain="acme.myshopify.com"
        )


# add_merchant and list_merchants (`rapport merchant add|list`), on SQLite and PostgreSQL.


def test_an_added_merchant_has_its_name_currency_and_shop(uow_factory: Units) -> None:
    add_merchant(uow_factory, name="acme", currency="eur", shop_domain="https://Acme.myshopify.com/")
    [merchant] = list_merchants(uow_factory)
    assert (merchant.slug, merchant.currency, merchant.shop_domain) == ("acme", "EUR", "acme.myshopify.com")


def test_adding_a_merchant_that_exists_is_refused_and_keeps_the_first(uow_factory: Units) -> None:
    add_merchant(uow_factory, name="acme", currency="EUR")
    with pytest.raises(InvalidInput, match="merchant 'acme' already exists"):
        add_merchant(uow_factory, name="acme", currency="USD")
    assert [m.currency for m in list_merchants(uow_factory)] == ["EUR"]


def test_adding_a_merchant_with_another_merchants_shop_is_refused(uow_factory: Units) -> None:
    add_merchant(uow_factory, name="acme", shop_domain="acme.myshopify.com")
    with pytest.raises(InvalidInput, match="acme.myshopify.com already belongs to merchant 'acme'"):
        add_merchant(uow_factory, name="globex", shop_domain="ACME.myshopify.com")
    assert [m.slug for m in list_merchants(uow_factory)] == ["acme"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "merchant name '' is not valid"),
        ("name", "x" * 101, "is not valid: use 1 to 100"),
        ("currency", "euro", "currency 'euro' is not an ISO 4217 code"),
        ("shop_domain", "not a domain", "shop domain 'not a domain' is not a host name"),
        ("shop_domain", "a" * 250 + ".myshopify.com", "is not a host name"),
    ],
)
def test_a_malformed_name_currency_or_shop_is_refused_before_the_store(
    field: str, value: str, message: str
) -> None:
    given = {"name": "acme", "currency": "USD", "shop_domain": None, field: value}
    store = FakeStore()
    with pytest.raises(InvalidInput, match=message):
        add_merchant(FakeUnitOfWorkFactory(store), **given)  # type: ignore[arg-type]
    assert store.state.merchants == {}


def test_merchants_are_listed_by_name_with_their_shops(uow_factory: Units) -> None:
    add_merchant(uow_factory, name="globex")
    add_merchant(uow_factory, name="acme", shop_domain="acme.myshopify.com")
    listed = [(m.slug, m.shop_domain) for m in list_merchants(uow_factory)]
    assert listed == [("acme", "acme.myshopify.com"), ("globex", None)]


def test_the_store_refuses_a_second_merchant_for_one_shop_in_a_clear_error(uow_factory: Units) -> None:
    # The race add_merchant's own check cannot see: the unique constraint answers, as a domain error.
    add_merchant(uow_factory, name="acme", shop_domain="acme.myshopify.com")
    with uow_factory() as uow, pytest.raises(RecordRefused, match="belongs to another merchant"):
        uow.merchants.create("globex", currency="USD", shop_domain="acme.myshopify.com")
