"""The triage use case on in-memory fakes: which order, which intent, what is recorded, which policy."""

from __future__ import annotations

import pytest
from fakes import CountingClassifier, FakeStore, FakeUnitOfWorkFactory, RefusingClassifier

from drafting.builders import NOW, a_first_timer, a_vip
from engine.engine_builders import a_policy
from rapport.domain import Intent, IntentReading
from rapport.domain.errors import UnknownIntent, UnknownOrder
from rapport.policy import Policy, default_policy
from rapport.services.merchants import MerchantContext
from rapport.services.triage import TriageRequest, TriageResult, triage
from rapport.understanding import IntentClassifier

MARIA = a_vip()  # owns #1042 and #990
JONAS = a_first_timer()  # owns #2001 only
READ_AS_DAMAGED = IntentReading(intent=Intent.DAMAGED_ITEM, confidence=0.9, source="model")


@pytest.fixture
def uow_factory() -> FakeUnitOfWorkFactory:
    return FakeUnitOfWorkFactory(FakeStore().with_customer(MARIA).with_customer(JONAS))


@pytest.fixture
def merchant(uow_factory: FakeUnitOfWorkFactory) -> MerchantContext:
    return uow_factory.store.merchant("default")


def run(
    uow_factory: FakeUnitOfWorkFactory,
    merchant: MerchantContext,
    *,
    email: str,
    message: str = "Hi, my order arrived damaged, the mug is broken.",
    classifier: IntentClassifier | None = None,
    policy: Policy | None = None,
    record: bool = True,
    **hints: str,
) -> TriageResult:
    return triage(
        uow_factory,
        merchant=merchant,
        policy=policy or default_policy(),
        classifier=classifier or CountingClassifier(READ_AS_DAMAGED),
        request=TriageRequest(email=email, message=message, now=NOW, **hints),
        record=record,
    )


def test_the_order_named_in_the_request_is_the_one_the_ticket_is_about(
    uow_factory: FakeUnitOfWorkFactory, merchant: MerchantContext
) -> None:
    result = run(uow_factory, merchant, email=MARIA.email, order_name="#990")
    assert result.ticket.order is not None
    assert result.ticket.order.name == "#990"


def test_a_customer_with_one_order_is_not_asked_which_order(
    uow_factory: FakeUnitOfWorkFactory, merchant: MerchantContext
) -> None:
    result = run(uow_factory, merchant, email=JONAS.email)
    assert result.ticket.order is not None
    assert result.ticket.order.name == "#2001"


def test_a_named_order_the_store_does_not_have_is_refused(
    uow_factory: FakeUnitOfWorkFactory, merchant: MerchantContext
) -> None:
    with pytest.raises(UnknownOrder, match="#4040"):
        run(uow_factory, merchant, email=MARIA.email, order_name="#4040")


def test_an_order_of_another_customer_is_refused(
    uow_factory: FakeUnitOfWorkFactory, merchant: MerchantContext
) -> None:
    with pytest.raises(UnknownOrder, match="does not belong"):
        run(uow_factory, merchant, email=MARIA.email, order_name="#2001")


def test_a_guest_cannot_name_a_customers_order(
    uow_factory: FakeUnitOfWorkFactory, merchant: MerchantContext
) -> None:
    with pytest.raises(UnknownOrder, match="does not belong"):
        run(uow_factory, merchant, email="stranger@example.net", order_name="#2001")


def test_a_given_intent_is_used_without_running_the_classifier(
    uow_factory: FakeUnitOfWorkFactory, merchant: MerchantContext
) -> None:
    result = run(
        uow_factory, merchant, email=MARIA.email, classifier=RefusingClassifier(), intent="damaged_item"
    )
    assert (result.ticket.intent, result.ticket.reading.source) == (Intent.DAMAGED_ITEM, "given")


def test_without_a_given_intent_the_classifier_reads_the_message_once(
    uow_factory: FakeUnitOfWorkFactory, merchant: MerchantContext
) -> None:
    classifier = CountingClassifier(READ_AS_DAMAGED)
    result = run(uow_factory, merchant, email=MARIA.email, classifier=classifier)
    assert classifier.calls == 1
    assert result.ticket.reading == READ_AS_DAMAGED


def test_an_unknown_intent_name_is_refused_with_the_valid_ones(
    uow_factory: FakeUnitOfWorkFactory, merchant: MerchantContext
) -> None:
    with pytest.raises(UnknownIntent, match="damaged_item"):
        run(uow_factory, merchant, email=MARIA.email, intent="broken_stuff")


def test_a_recorded_ticket_is_stored_with_its_decision_and_committed(
    uow_factory: FakeUnitOfWorkFactory, merchant: MerchantContext
) -> None:
    result = run(uow_factory, merchant, email=MARIA.email)
    [stored] = uow_factory.store.tickets
    assert (stored.merchant_id, stored.ticket, stored.decision) == (
        merchant.id,
        result.ticket,
        result.decision,
    )
    assert stored.profile == result.profile
    assert uow_factory.committed


def test_a_preview_stores_nothing_and_commits_nothing(
    uow_factory: FakeUnitOfWorkFactory, merchant: MerchantContext
) -> None:
    run(uow_factory, merchant, email=MARIA.email, record=False)
    assert uow_factory.store.tickets == []
    assert not uow_factory.committed


def test_a_recorded_ticket_counts_as_a_contact_on_the_next_one(
    uow_factory: FakeUnitOfWorkFactory, merchant: MerchantContext
) -> None:
    first = run(uow_factory, merchant, email=JONAS.email)
    second = run(uow_factory, merchant, email=JONAS.email)
    assert (first.profile.contacts_last_90d, second.profile.contacts_last_90d) == (0, 1)


def test_a_refused_ticket_records_nothing(
    uow_factory: FakeUnitOfWorkFactory, merchant: MerchantContext
) -> None:
    with pytest.raises(UnknownOrder):
        run(uow_factory, merchant, email=MARIA.email, order_name="#2001")
    assert uow_factory.store.tickets == []
    assert not uow_factory.committed


def test_the_decision_follows_the_policy_it_is_given(
    uow_factory: FakeUnitOfWorkFactory, merchant: MerchantContext
) -> None:
    policy = a_policy()  # queues "fast" and "normal", where the default policy has "priority"/"standard"
    result = run(uow_factory, merchant, email=JONAS.email, policy=policy)
    assert (result.decision.segment, result.decision.queue) == ("everyone", "normal")
    assert result.policy is policy
