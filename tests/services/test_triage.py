"""The triage service on real databases: it knows the customer, finds the order, records the ticket."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rapport.domain import Intent
from rapport.domain.errors import UnknownOrder
from rapport.policy import default_policy
from rapport.services.importing import import_jsonl
from rapport.services.triage import TriageResult, triage
from rapport.store.unit_of_work import UnitOfWork

STORE = Path(__file__).parents[1] / "cli" / "data" / "store.jsonl"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def factory(uow_factory: Callable[[], UnitOfWork]) -> Callable[[], UnitOfWork]:
    """A store holding Dana (VIP), Lena (first-time buyer) and Sam (subscriber), on each database."""
    assert not import_jsonl(uow_factory, path=STORE, merchant="default").errors
    return uow_factory


def run(factory: Callable[[], UnitOfWork], email: str, message: str, **kwargs: object) -> TriageResult:
    options = {"now": NOW, **kwargs}
    return triage(
        factory, merchant="default", email=email, message=message, policy=default_policy(), **options
    )


def test_the_order_is_found_without_asking_the_customer(factory: Callable[[], UnitOfWork]) -> None:
    result = run(
        factory, "lena.fischer@example.com", "the dripper arrived cracked", intent=Intent.DAMAGED_ITEM
    )
    assert result.ticket.order is not None
    assert result.ticket.order.name == "#9100"


def test_an_order_named_in_the_message_is_the_one_the_ticket_is_about(
    factory: Callable[[], UnitOfWork],
) -> None:
    result = run(factory, "dana.lee@example.com", "about order #8001: the kettle leaks")
    assert result.ticket.order is not None
    assert result.ticket.order.name == "#8001"


def test_an_order_of_another_customer_cannot_be_named(factory: Callable[[], UnitOfWork]) -> None:
    with pytest.raises(UnknownOrder):
        run(factory, "lena.fischer@example.com", "broken", order_name="#9001")


def test_each_triaged_ticket_counts_as_a_contact_and_repeated_contact_raises_urgency(
    factory: Callable[[], UnitOfWork],
) -> None:
    first = run(factory, "lena.fischer@example.com", "where is my refund?")
    later = [
        run(factory, "lena.fischer@example.com", "where is my refund?", now=NOW + timedelta(hours=h))
        for h in (1, 2, 3)
    ]
    assert first.profile.contacts_last_90d == 0
    assert [r.profile.contacts_last_90d for r in later] == [1, 2, 3]
    assert "repeat_contact" in {s.kind for s in later[-1].ticket.signals}


def test_a_ticket_not_recorded_is_not_counted(factory: Callable[[], UnitOfWork]) -> None:
    run(factory, "sam.okafor@example.com", "hello", record=False)
    assert run(factory, "sam.okafor@example.com", "hello").profile.contacts_last_90d == 0
