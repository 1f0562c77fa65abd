"""The merchant context: created once, and always in the currency its policy names."""

from __future__ import annotations

from fakes import FakeStore, FakeUnitOfWorkFactory

from rapport.services.merchants import open_merchant


def stored_currency(uow_factory: FakeUnitOfWorkFactory, slug: str) -> str | None:
    with uow_factory() as uow:
        found = uow.merchants.find(slug)
    return None if found is None else found.currency


def test_a_new_merchant_is_created_with_the_policys_currency() -> None:
    uow_factory = FakeUnitOfWorkFactory()
    merchant = open_merchant(uow_factory, slug="acme", currency="EUR")
    assert (merchant.slug, merchant.currency) == ("acme", "EUR")
    assert stored_currency(uow_factory, "acme") == "EUR"
    assert uow_factory.committed


def test_an_existing_merchant_created_in_usd_follows_a_policy_in_eur() -> None:
    # The defect: after `rapport init` with an EUR policy the card said "40.00 USD", the offer "€40.00".
    uow_factory = FakeUnitOfWorkFactory(FakeStore().with_merchant("acme", currency="USD"))
    merchant = open_merchant(uow_factory, slug="acme", currency="EUR")
    assert merchant.currency == "EUR"
    assert stored_currency(uow_factory, "acme") == "EUR"


def test_opening_an_existing_merchant_keeps_its_id() -> None:
    store = FakeStore().with_merchant("acme", currency="USD")
    uow_factory = FakeUnitOfWorkFactory(store)
    assert open_merchant(uow_factory, slug="acme", currency="USD").id == store.merchant("acme").id


def test_a_merchant_already_in_the_policys_currency_is_not_written() -> None:
    uow_factory = FakeUnitOfWorkFactory(FakeStore().with_merchant("acme", currency="EUR"))
    open_merchant(uow_factory, slug="acme", currency="EUR")
    assert not uow_factory.committed
