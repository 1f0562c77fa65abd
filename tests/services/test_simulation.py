"""The simulator's service: reading a ticket history (bad lines kept apart) and simulating both policies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fakes import CountingClassifier, RefusingClassifier

from engine.engine_builders import a_policy
from rapport.domain import Intent, IntentReading
from rapport.domain.errors import InvalidInput
from rapport.engine.replay import PastTicket
from rapport.policy import default_policy
from rapport.schemas.simulation import read_history_line
from rapport.services.simulation import past_ticket, read_history, simulate

EXAMPLES = Path(__file__).parents[2] / "examples"
DEFAULT = default_policy()


def a_line(**overrides: Any) -> dict[str, Any]:
    """Ana, a loyal customer (five orders), writing about her late linen dress."""
    line: dict[str, Any] = {
        "received_at": "2026-11-03T09:25:00Z",
        "email": "ana.lima@example.com",
        "message": "Tracking hasn't moved in 6 days for order #3290.",
        "intent": "late_delivery",
        "handled_minutes": 10,
        "customer": {
            "first_name": "Ana",
            "orders_count": 5,
            "total_spent": "610.00",
            "tags": ["loyalty"],
            "recent_orders": [
                {
                    "name": "#3290",
                    "created_at": "2026-10-25T08:00:00Z",
                    "total": "120.00",
                    "fulfillment_status": "unfulfilled",
                    "line_items": [{"title": "Linen dress", "price": "120.00"}],
                }
            ],
        },
    }
    line.update(overrides)
    return line


def write_history(tmp_path: Path, *lines: dict[str, Any] | str) -> Path:
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


def test_a_history_line_becomes_a_ticket_about_the_named_order_with_the_customers_facts() -> None:
    past = past_ticket(read_history_line(json.dumps(a_line(order="#3290"))), classifier=RefusingClassifier())
    assert past.ticket.intent is Intent.LATE_DELIVERY
    assert past.ticket.order is not None
    assert past.ticket.order.name == "#3290"
    assert (past.profile.orders_count, past.profile.tags, past.handled_minutes) == (5, ("loyalty",), 10)


def test_facts_left_out_are_derived_from_the_customers_orders() -> None:
    customer = a_line()["customer"]
    del customer["orders_count"], customer["total_spent"]
    profile = read_history_line(json.dumps(a_line(customer=customer))).profile()
    assert (profile.orders_count, str(profile.total_spent), profile.open_orders, profile.tenure_days) == (
        1,
        "120.00",
        1,
        9,
    )


def test_without_a_customer_the_writer_is_a_guest() -> None:
    line = a_line()
    del line["customer"]
    assert read_history_line(json.dumps(line)).profile().is_known is False


def test_a_message_without_an_intent_is_read_by_the_classifier() -> None:
    line = a_line()
    del line["intent"]
    classifier = CountingClassifier(
        IntentReading(intent=Intent.WHERE_IS_MY_ORDER, confidence=0.8, source="model")
    )
    past = past_ticket(read_history_line(json.dumps(line)), classifier=classifier)
    assert (past.ticket.intent, classifier.calls) == (Intent.WHERE_IS_MY_ORDER, 1)


def test_without_a_named_order_the_order_is_found_from_the_message() -> None:
    past = past_ticket(read_history_line(json.dumps(a_line())), classifier=RefusingClassifier())
    assert past.ticket.order is not None
    assert past.ticket.order.name == "#3290"


def test_bad_lines_are_reported_by_number_and_field_and_the_good_ones_kept(tmp_path: Path) -> None:
    path = write_history(
        tmp_path,
        a_line(),
        "{not json",
        a_line(received_at="yesterday"),
        a_line(intent="complaint"),
        a_line(order="#9999"),
        a_line(surprise=True),
        a_line(handled_minutes=-3),
        a_line(),
    )
    history = read_history(path, classifier=RefusingClassifier())
    assert len(history.tickets) == 2
    found = {bad.line: bad.message for bad in history.bad_lines}
    assert sorted(found) == [2, 3, 4, 5, 6, 7]
    assert found[2].startswith("not JSON")
    assert found[3].startswith("received_at:")
    assert found[4].startswith("intent: 'complaint' is not one of")
    assert found[5] == "order: '#9999' is not one of customer.recent_orders"
    assert found[6].startswith("surprise:")
    assert found[7].startswith("handled_minutes:")


def test_a_customer_email_other_than_the_tickets_is_a_bad_line() -> None:
    with pytest.raises(InvalidInput, match="customer.email 'someone@else.com' is not the ticket's email"):
        read_history_line(json.dumps(a_line(customer={"email": "someone@else.com"})))


def test_an_unreadable_history_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read the ticket history"):
        read_history(tmp_path / "missing.jsonl")


def example_history() -> list[PastTicket]:
    """The shipped example history (its messages without an intent read as `other`)."""
    reader = CountingClassifier(IntentReading(intent=Intent.OTHER, confidence=0.5, source="model"))
    return list(read_history(EXAMPLES / "ticket_history.jsonl", classifier=reader).tickets)


def test_the_example_history_reads_without_a_bad_line() -> None:
    history = read_history(EXAMPLES / "ticket_history.jsonl", classifier=None)
    assert history.bad_lines == ()
    assert 40 <= len(history.tickets) <= 60


def test_queues_without_given_agents_are_sized_and_named() -> None:
    result = simulate(example_history(), current=DEFAULT, candidate=DEFAULT, agents={"priority": 2})
    assert result.agents == {"priority": 2, "standard": 1}
    assert result.sized_queues == ("standard",)


def test_staffing_a_queue_no_policy_has_is_an_input_error() -> None:
    with pytest.raises(InvalidInput, match="no queue 'vip_desk' in either policy"):
        simulate(example_history(), current=DEFAULT, candidate=DEFAULT, agents={"vip_desk": 2})


def test_a_simulation_is_the_same_for_the_same_seed() -> None:
    history = example_history()
    first = simulate(history, current=DEFAULT, candidate=DEFAULT, seed=3)
    assert simulate(history, current=DEFAULT, candidate=DEFAULT, seed=3) == first
    assert first.sampled_handling == 3


def test_identical_policies_predict_identical_response_times() -> None:
    result = simulate(
        example_history(), current=DEFAULT, candidate=DEFAULT, agents={"standard": 1, "priority": 1}
    )
    assert result.current == result.candidate


def test_a_tighter_first_response_target_lowers_sla_attainment_under_load() -> None:
    # Everyone in one queue of one agent; the candidate promises 15 minutes instead of 8 hours.
    loose = a_policy(queues=[{"name": "all", "segments": ["vip", "everyone"], "first_response": "8h"}])
    tight = a_policy(queues=[{"name": "all", "segments": ["vip", "everyone"], "first_response": "15m"}])
    result = simulate(example_history(), current=loose, candidate=tight, agents={"all": 1})
    assert result.current.queues["all"].attainment == 1.0
    assert result.candidate.queues["all"].attainment < 1.0
    assert result.candidate.queues["all"].median == result.current.queues["all"].median
