"""The customer card: the profile Rapport knows before answering, in the merchant's currency."""

from __future__ import annotations

from fakes import FakeStore, FakeUnitOfWorkFactory

from drafting.builders import NOW, a_vip
from rapport.services.customers import customer_card

MARIA = a_vip()  # the builder's profile says USD


def test_the_card_of_a_known_customer_is_in_the_merchants_currency() -> None:
    store = FakeStore().with_merchant("acme", currency="EUR").with_customer(MARIA, merchant="acme")
    card = customer_card(
        FakeUnitOfWorkFactory(store), merchant=store.merchant("acme"), email=MARIA.email, now=NOW
    )
    assert (card.is_known, card.first_name, card.currency) == (True, "Maria", "EUR")


def test_an_unknown_email_gets_a_guest_card_in_the_merchants_currency() -> None:
    store = FakeStore().with_merchant("acme", currency="EUR")
    card = customer_card(
        FakeUnitOfWorkFactory(store), merchant=store.merchant("acme"), email="new@example.net", now=NOW
    )
    assert (card.is_known, card.email, card.currency) == (False, "new@example.net", "EUR")


def test_reading_a_card_writes_nothing() -> None:
    store = FakeStore().with_customer(MARIA)
    uow_factory = FakeUnitOfWorkFactory(store)
    customer_card(uow_factory, merchant=store.merchant(), email=MARIA.email, now=NOW)
    assert not uow_factory.committed
