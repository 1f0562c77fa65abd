"""The triage use case on real databases (SQLite, and PostgreSQL when configured), from an imported store.

The same behaviours as the fake-backed unit tests, plus what only a store can show: a recorded ticket
counts as a contact, is linked to its customer and order, and amounts follow the policy's currency.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fakes import RefusingClassifier

from rapport.domain.errors import UnknownOrder
from rapport.policy import Policy, default_policy, default_policy_text, parse_policy
from rapport.services.customers import customer_card
from rapport.services.importing import import_jsonl
from rapport.services.merchants import MerchantContext, open_merchant
from rapport.services.triage import TriageRequest, TriageResult, triage
from rapport.store.unit_of_work import UnitOfWork
from rapport.understanding.keywords import KeywordClassifier

STORE = Path(__file__).parents[1] / "cli" / "data" / "store.jsonl"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
Units = Callable[[], UnitOfWork]  # the `uow_factory` fixture: units of work on a real database
DANA, LENA, SAM = "dana.lee@example.com", "lena.fischer@example.com", "sam.okafor@example.com"


def eur_policy() -> Policy:
    return parse_policy(default_policy_text().replace("currency: USD", "currency: EUR"), "rapport.yaml")


def load_store(uow_factory: Units, policy: Policy) -> MerchantContext:
    """Dana (VIP, #9001 and #8001), Lena (first order #9100) and Sam (subscriber) in merchant "default"."""
    merchant = open_merchant(uow_factory, slug="default", currency=policy.currency, create=True)
    assert not import_jsonl(uow_factory, path=STORE, merchant=merchant.slug).errors
    return merchant


@pytest.fixture
def merchant(uow_factory: Units) -> MerchantContext:
    return load_store(uow_factory, default_policy())


def run(
    uow_factory: Units,
    merchant: MerchantContext,
    email: str,
    message: str,
    *,
    now: datetime = NOW,
    record: bool = True,
    **hints: str,
) -> TriageResult:
    return triage(
        uow_factory,
        merchant=merchant,
        policy=default_policy(),
        classifier=RefusingClassifier() if "intent" in hints else KeywordClassifier(),
        request=TriageRequest(email=email, message=message, now=now, **hints),
        record=record,
    )


def test_the_order_is_found_without_asking_the_customer(
    uow_factory: Units, merchant: MerchantContext
) -> None:
    result = run(uow_factory, merchant, LENA, "the dripper arrived cracked", intent="damaged_item")
    assert result.ticket.order is not None
    assert result.ticket.order.name == "#9100"


def test_the_order_named_in_the_request_is_the_one_the_ticket_is_about(
    uow_factory: Units, merchant: MerchantContext
) -> None:
    result = run(uow_factory, merchant, DANA, "the kettle leaks", order_name="#8001")
    assert result.ticket.order is not None
    assert (result.ticket.order.name, result.ticket.order.total) == ("#8001", Decimal("2400.00"))


def test_an_order_named_in_the_message_is_the_one_the_ticket_is_about(
    uow_factory: Units, merchant: MerchantContext
) -> None:
    result = run(uow_factory, merchant, DANA, "about order #8001: the kettle leaks")
    assert result.ticket.order is not None
    assert result.ticket.order.name == "#8001"


def test_an_order_the_store_does_not_have_cannot_be_named(
    uow_factory: Units, merchant: MerchantContext
) -> None:
    with pytest.raises(UnknownOrder, match="#4040"):
        run(uow_factory, merchant, DANA, "broken", order_name="#4040")


def test_an_order_of_another_customer_cannot_be_named(uow_factory: Units, merchant: MerchantContext) -> None:
    with pytest.raises(UnknownOrder, match="does not belong"):
        run(uow_factory, merchant, LENA, "broken", order_name="#9001")


def test_a_given_intent_is_used_without_running_the_classifier(
    uow_factory: Units, merchant: MerchantContext
) -> None:
    result = run(uow_factory, merchant, SAM, "my box never came", intent="late_delivery")
    assert (result.ticket.intent.value, result.ticket.reading.source) == ("late_delivery", "given")


def test_each_recorded_ticket_counts_as_a_contact_and_repeated_contact_raises_urgency(
    uow_factory: Units, merchant: MerchantContext
) -> None:
    first = run(uow_factory, merchant, LENA, "where is my refund?")
    later = [
        run(uow_factory, merchant, LENA, "where is my refund?", now=NOW + timedelta(hours=h))
        for h in (1, 2, 3)
    ]
    assert first.profile.contacts_last_90d == 0
    assert [r.profile.contacts_last_90d for r in later] == [1, 2, 3]
    assert "repeat_contact" in {s.kind for s in later[-1].ticket.signals}


def test_a_ticket_not_recorded_is_not_counted(uow_factory: Units, merchant: MerchantContext) -> None:
    run(uow_factory, merchant, SAM, "hello", record=False)
    assert run(uow_factory, merchant, SAM, "hello").profile.contacts_last_90d == 0


def test_a_recorded_ticket_is_linked_to_its_customer_and_its_order(
    uow_factory: Units, merchant: MerchantContext
) -> None:
    # The ticket is written with the customer and order the triage found, however the e-mail was typed.
    run(uow_factory, merchant, "  Dana.Lee@Example.COM ", "the kettle leaks", order_name="8001")
    with uow_factory() as uow:
        [stored] = uow.tickets.for_email(merchant_id=merchant.id, email=DANA)
    assert (stored.email, stored.order_name) == (DANA, "#8001")
    dana = customer_card(uow_factory, merchant=merchant, email=DANA, now=NOW + timedelta(minutes=1))
    lena = customer_card(uow_factory, merchant=merchant, email=LENA, now=NOW + timedelta(minutes=1))
    assert (dana.contacts_last_90d, lena.contacts_last_90d) == (1 + 1, 0)  # Dana had one imported contact


def test_a_ticket_about_no_order_is_recorded_without_one(
    uow_factory: Units, merchant: MerchantContext
) -> None:
    run(uow_factory, merchant, DANA, "do you sell gift cards?", intent="product_question")
    with uow_factory() as uow:
        [stored] = uow.tickets.for_email(merchant_id=merchant.id, email=DANA)
    assert stored.order_name is None


def test_a_merchant_created_in_usd_follows_its_eur_policy_end_to_end(uow_factory: Units) -> None:
    # The defect: after `rapport init` with an EUR policy the card said "40.00 USD", the offer "€40.00".
    open_merchant(uow_factory, slug="default", currency="USD", create=True)
    merchant = load_store(uow_factory, eur_policy())
    assert merchant.currency == "EUR"
    result = triage(
        uow_factory,
        merchant=merchant,
        policy=eur_policy(),
        classifier=RefusingClassifier(),
        request=TriageRequest(
            email=LENA, message="the dripper arrived cracked", now=NOW, intent="damaged_item"
        ),
    )
    assert result.profile.currency == "EUR"
    assert customer_card(uow_factory, merchant=merchant, email=DANA, now=NOW).currency == "EUR"
    assert result.decision.resolution.currency == "EUR"
