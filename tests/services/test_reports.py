"""The outcome report's use case over an in-memory store: the period asked for, the figures as tables,
notes and charts, and one self-contained HTML page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import Any

import pytest

from rapport.domain.errors import InvalidInput
from rapport.engine.outcomes import TicketFacts
from rapport.policy import default_policy
from rapport.services.reports import outcome_report, report_charts, report_html, report_tables

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
POLICY = default_policy()
PNG_DATA = "data:image/png;base64,iVBORw0KGgo"


@dataclass
class FakeOutcomes:
    """The store's outcome repository in memory: the tickets it holds, and the periods asked for."""

    tickets: list[TicketFacts]
    asked: list[dict[str, Any]] = field(default_factory=list)

    def ticket_facts(
        self, *, merchant_id: int, since: datetime | None = None, until: datetime | None = None
    ) -> list[TicketFacts]:
        self.asked.append({"merchant_id": merchant_id, "since": since, "until": until})
        return [
            t
            for t in self.tickets
            if (since is None or t.received_at >= since) and (until is None or t.received_at < until)
        ]


class FakeUnitOfWork:
    def __init__(self, outcomes: FakeOutcomes) -> None:
        self.outcomes = outcomes

    def __enter__(self) -> FakeUnitOfWork:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None


def factory_of(outcomes: FakeOutcomes) -> Any:
    return lambda *, write=False: FakeUnitOfWork(outcomes)


def a_ticket(
    days_ago: float, *, segment: str = "vip", queue: str = "priority", granted: str = "0"
) -> TicketFacts:
    received = NOW - timedelta(days=days_ago)
    return TicketFacts(
        ticket_id=int(days_ago * 10),
        segment=segment,
        queue=queue,
        received_at=received,
        first_response_due=received + timedelta(hours=1),
        first_responded_at=received + timedelta(minutes=25),
        resolved_at=received + timedelta(hours=5),
        customer_id=7,
        next_order_at=received + timedelta(days=12),
        granted=Decimal(granted),
        csat=4,
    )


STORE = [
    a_ticket(100, granted="20.00"),
    a_ticket(90, segment="standard", queue="standard"),
    a_ticket(40, segment="standard", queue="standard", granted="5.00"),
    a_ticket(3),
]


def test_the_report_reads_the_merchant_s_tickets_of_the_period_asked_for() -> None:
    outcomes = FakeOutcomes(STORE)
    since, until = NOW - timedelta(days=95), NOW - timedelta(days=10)
    report = outcome_report(
        factory_of(outcomes), merchant_id=3, policy=POLICY, now=NOW, since=since, until=until
    )
    assert outcomes.asked == [{"merchant_id": 3, "since": since, "until": until}]
    assert report.figures.total.tickets == 2
    assert report.currency == POLICY.currency


def test_a_period_that_ends_before_it_begins_is_an_input_error() -> None:
    with pytest.raises(InvalidInput, match="--since .* must be before --until"):
        outcome_report(
            factory_of(FakeOutcomes(STORE)), merchant_id=3, policy=POLICY, now=NOW, since=NOW, until=NOW
        )


def test_the_tables_give_service_and_value_per_segment_and_queue_with_a_total_row() -> None:
    report = outcome_report(factory_of(FakeOutcomes(STORE)), merchant_id=3, policy=POLICY, now=NOW)
    tables = {table.title: table for table in report_tables(report)}
    service = tables["Service by segment"]
    assert [row[0] for row in service.rows] == ["standard", "vip", "all"]
    assert service.rows[-1][1:3] == ("4", "100 % (4/4)")
    assert service.rows[-1][5] == "25 min"  # median first reply
    value = tables["Cost, satisfaction and reorders by segment (USD)"]
    assert value.rows[1][0:3] == ("vip", "2", "$20.00")
    assert value.rows[1][4] == "4.0 (2)"
    assert value.rows[1][5] == "100 % (1/1)"  # the 3-day-old ticket's window has not ended


def test_the_html_page_holds_the_tables_and_the_charts_inline() -> None:
    report = outcome_report(factory_of(FakeOutcomes(STORE)), merchant_id=3, policy=POLICY, now=NOW)
    page = report_html(report)
    assert page.startswith("<!doctype html>")
    assert page.count(PNG_DATA) == len(report_charts(report)) == 5
    assert "Service by queue" in page
    assert "http" not in page.replace("http-equiv", "")  # nothing to fetch


def test_a_period_without_tickets_has_tables_of_dashes_and_no_charts() -> None:
    report = outcome_report(factory_of(FakeOutcomes([])), merchant_id=3, policy=POLICY, now=NOW)
    assert report_charts(report) == []
    assert report_tables(report)[0].rows == (("all", "0", "-", "0", "0", "-", "-", "-"),)
