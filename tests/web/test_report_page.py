"""The workspace's report page without a browser: who may see it, and only the viewer's merchant's figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from outcome_builders import OutcomeBuilder
from store_builders import StoreBuilder

from .workspace_seed import ADMIN, AGENT, NOW, SENIOR, TICKETS, Workspace


@pytest.fixture
def two_merchants(workspace: Workspace) -> Workspace:
    """The seeded "acme" with a granted, answered ticket; "globex" with tickets of its own."""
    uow_factory = workspace.app.uow_factory
    acme = OutcomeBuilder(uow_factory, merchant_id=workspace.app.merchant.id, now=NOW)
    ticket = acme.ticket(segment="vip", days_ago=40, resolved_in=timedelta(hours=2))
    acme.grant(ticket, "12.34")
    acme.csat(ticket, 4)
    globex = StoreBuilder(uow_factory, now=NOW, merchant="globex")
    theirs = OutcomeBuilder(uow_factory, merchant_id=globex.merchant_id, now=NOW)
    for _ in range(3):
        their_ticket = theirs.ticket(segment="globex_whales", queue="globex_desk", days_ago=30)
        theirs.grant(their_ticket, "987.65")
        theirs.csat(their_ticket, 1)
    return workspace


def test_an_admin_sees_the_merchant_s_outcomes_with_charts(
    client: TestClient, log_in: Callable[[str], str], two_merchants: Workspace
) -> None:
    log_in(ADMIN)
    response = client.get("/report")
    assert response.status_code == 200
    page = response.text
    assert "Service by segment" in page
    assert "$12.34" in page
    assert "4.0 (1)" in page
    assert page.count('src="data:image/png;base64,') == 5


def test_the_report_never_shows_another_merchant_s_tickets_or_money(
    client: TestClient, log_in: Callable[[str], str], two_merchants: Workspace
) -> None:
    log_in(ADMIN)
    page = client.get("/report").text
    assert "globex_whales" not in page
    assert "globex_desk" not in page
    assert "987.65" not in page
    assert "2,962.95" not in page  # globex's total
    total_row = page.split('<th scope="row">all</th>')[1]
    assert f"<td>{len(TICKETS) + 1}</td>" in total_row.split("</tr>")[0]


def test_a_senior_may_see_the_report(
    client: TestClient, log_in: Callable[[str], str], two_merchants: Workspace
) -> None:
    log_in(SENIOR)
    assert client.get("/report").status_code == 200


def test_an_agent_may_not_see_the_report(
    client: TestClient, log_in: Callable[[str], str], two_merchants: Workspace
) -> None:
    log_in(AGENT)
    response = client.get("/report")
    assert response.status_code == 403
    assert "only admins and seniors may see the report" in response.text
    assert "$12.34" not in response.text


def test_an_anonymous_visitor_is_sent_to_the_login_page(client: TestClient) -> None:
    response = client.get("/report")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/report"


def test_the_period_narrows_the_report(
    client: TestClient, log_in: Callable[[str], str], two_merchants: Workspace
) -> None:
    log_in(ADMIN)
    page = client.get("/report", params={"since": "2026-11-15"}).text
    assert "received from 2026-11-15, up to now" in page
    assert "$12.34" not in page  # that ticket came 40 days ago


def test_a_bad_date_is_an_invalid_request_page(
    client: TestClient, log_in: Callable[[str], str], two_merchants: Workspace
) -> None:
    log_in(ADMIN)
    response = client.get("/report", params={"since": "last tuesday"})
    assert response.status_code == 422
    assert "since: &#39;last tuesday&#39; is not an ISO 8601 date-time" in response.text


def test_the_navigation_offers_the_report_to_those_who_may_see_it(
    client: TestClient, log_in: Callable[[str], str], two_merchants: Workspace
) -> None:
    log_in(SENIOR)
    assert 'href="/report"' in client.get("/queues").text


def test_the_navigation_does_not_offer_the_report_to_an_agent(
    client: TestClient, log_in: Callable[[str], str], two_merchants: Workspace
) -> None:
    log_in(AGENT)
    assert 'href="/report"' not in client.get("/queues").text


def test_a_csat_answer_shows_its_score_in_the_ticket_s_history(
    client: TestClient, log_in: Callable[[str], str], workspace: Workspace
) -> None:
    answers = OutcomeBuilder(workspace.app.uow_factory, merchant_id=workspace.app.merchant.id, now=NOW)
    answers.csat(1, 2)  # the first seeded ticket, taken in through the desk
    log_in(ADMIN)
    page = client.get("/tickets/1").text
    assert "csat answered" in page
    assert "2 / 5" in page
