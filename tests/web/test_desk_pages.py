"""The desk's pages without a browser: the board per role, claims, replies, escalations, error pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient

from rapport.api import create_app

from .conftest import csrf_of
from .workspace_seed import ADMIN, AGENT, NOW, PASSWORD, SENIOR, Workspace


def ticket_id_of(client: TestClient, queue: str, customer: str) -> int:
    page = client.get(f"/queues/{queue}").text
    row = next(r for r in page.split("<tr") if customer in r)
    found = re.search(r'data-ticket="(\d+)"', row)
    assert found is not None
    return int(found.group(1))


def test_an_agent_sees_the_agent_queues_but_not_the_escalation_queues(
    client: TestClient, log_in: Callable[[str], str]
) -> None:
    log_in(AGENT)
    board = client.get("/queues").text
    assert 'data-queue="priority"' in board
    assert 'data-queue="standard"' in board
    assert 'data-queue="senior"' not in board
    assert 'data-queue="manager"' not in board
    refused = client.get("/queues/senior")
    assert refused.status_code == 403
    assert "for the senior level" in refused.text


def test_a_senior_sees_the_senior_queue_but_not_the_managers(
    client: TestClient, log_in: Callable[[str], str]
) -> None:
    log_in(SENIOR)
    board = client.get("/queues").text
    assert 'data-queue="senior"' in board
    assert 'data-queue="manager"' not in board


def test_claim_next_hands_the_agent_a_ticket_and_shows_it(
    client: TestClient, log_in: Callable[[str], str]
) -> None:
    csrf = log_in(AGENT)
    response = client.post("/queues/standard/claim", data={"csrf_token": csrf})
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert "The ticket is yours." in page
    assert f"held by {AGENT}" in page
    assert "Send reply" in page


def test_a_reply_sent_twice_with_the_same_key_is_sent_once(
    client: TestClient, log_in: Callable[[str], str]
) -> None:
    csrf = log_in(AGENT)
    ticket = ticket_id_of(client, "priority", "Sam Okafor")
    client.post(f"/tickets/{ticket}/claim", data={"csrf_token": csrf})
    form = {
        "csrf_token": csrf,
        "body": "Hi Sam, here is a store credit for the wait.",
        "offer": "store_credit",
        "amount": "12.50",
        "idempotency_key": "one-click",
        "draft_body": "the draft",
    }
    first = client.post(f"/tickets/{ticket}/reply", data=form)
    again = client.post(f"/tickets/{ticket}/reply", data=form)
    assert first.status_code == again.status_code == 303
    page = client.get(f"/tickets/{ticket}").text
    assert page.count("here is a store credit for the wait.") == 1
    ledger = page.split('id="grants-title"')[1].split("</section>")[0]
    assert ledger.count("<tr><td>") == 1  # one grant in the ledger
    assert "12.50 USD" in ledger
    assert "edited" in page  # the text differs from the draft


def test_a_grant_above_the_agents_authority_is_refused_as_a_page(
    client: TestClient, log_in: Callable[[str], str]
) -> None:
    csrf = log_in(AGENT)
    ticket = ticket_id_of(client, "priority", "Sam Okafor")
    client.post(f"/tickets/{ticket}/claim", data={"csrf_token": csrf})
    response = client.post(
        f"/tickets/{ticket}/reply",
        data={"csrf_token": csrf, "body": "Here is a big credit.", "offer": "store_credit", "amount": "5000"},
    )
    assert response.status_code == 403
    assert "<h1>Not allowed</h1>" in response.text
    assert "Here is a big credit." not in client.get(f"/tickets/{ticket}").text  # nothing was sent


def test_an_escalation_moves_the_ticket_to_the_senior_queue(
    client: TestClient, log_in: Callable[[str], str]
) -> None:
    csrf = log_in(AGENT)
    ticket = ticket_id_of(client, "standard", "Maya Moreau")
    response = client.post(f"/tickets/{ticket}/escalate", data={"csrf_token": csrf, "reason": "out of stock"})
    assert response.status_code == 303
    page = client.get(f"/tickets/{ticket}").text
    assert "needs a senior" in page
    assert "Claim this ticket" not in page  # an agent may not take it now
    log_in(SENIOR)
    assert "Maya Moreau" in client.get("/queues/senior").text


def test_claiming_a_ticket_someone_holds_is_a_conflict_page(
    client: TestClient, log_in: Callable[[str], str]
) -> None:
    csrf = log_in(AGENT)
    ticket = ticket_id_of(client, "standard", "Lena Fischer")
    client.post(f"/tickets/{ticket}/claim", data={"csrf_token": csrf})
    again = client.post(f"/tickets/{ticket}/claim", data={"csrf_token": csrf})
    assert again.status_code == 409
    assert "<h1>Not possible now</h1>" in again.text
    assert "claimed" in again.text


def test_an_action_without_the_csrf_token_is_refused(
    client: TestClient, log_in: Callable[[str], str]
) -> None:
    log_in(AGENT)
    response = client.post("/queues/standard/claim")
    assert response.status_code == 403
    assert "security token" in response.text


def test_unknown_and_malformed_tickets_are_pages_not_tracebacks(
    client: TestClient, log_in: Callable[[str], str]
) -> None:
    log_in(AGENT)
    missing = client.get("/tickets/9999")
    assert missing.status_code == 404
    assert "no ticket 9999" in missing.text
    malformed = client.get("/tickets/abc")
    assert malformed.status_code == 422
    assert malformed.headers["content-type"].startswith("text/html")
    for page in (missing, malformed):
        assert "Traceback" not in page.text


def test_the_session_cookie_is_secure_over_https(workspace: Workspace) -> None:
    from .conftest import workspace_app

    secure = TestClient(workspace_app(workspace), base_url="https://testserver", follow_redirects=False)
    page = secure.get("/login")
    response = secure.post(
        "/login",
        data={"merchant": "acme", "email": AGENT, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]


def test_an_admin_grants_above_the_senior_limit_only_with_a_reason(
    client: TestClient, log_in: Callable[[str], str]
) -> None:
    csrf = log_in(ADMIN)
    ticket = ticket_id_of(client, "priority", "Sam Okafor")
    client.post(f"/tickets/{ticket}/claim", data={"csrf_token": csrf})
    assert "Reason for the grant" in client.get(f"/tickets/{ticket}").text
    form = {"csrf_token": csrf, "body": "A goodwill credit.", "offer": "store_credit", "amount": "150"}
    refused = client.post(f"/tickets/{ticket}/reply", data=form)
    assert refused.status_code == 403
    granted = client.post(
        f"/tickets/{ticket}/reply", data={**form, "reason": "twelve late deliveries this year"}
    )
    assert granted.status_code == 303
    ledger = client.get(f"/tickets/{ticket}").text.split('id="grants-title"')[1].split("</section>")[0]
    assert "150.00 USD" in ledger


def test_the_board_marks_breached_tickets_once_their_first_response_is_late(workspace: Workspace) -> None:
    later = TestClient(
        create_app(workspace.app, clock=lambda: NOW + timedelta(hours=2)), follow_redirects=False
    )
    page = later.get("/login")
    later.post(
        "/login",
        data={"merchant": "acme", "email": AGENT, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    board = later.get("/queues").text
    priority = board.split('data-queue="priority"')[1].split("</section>")[0]
    standard = board.split('data-queue="standard"')[1].split("</section>")[0]
    assert "2 breached" in priority  # due within 1h, two hours ago
    assert priority.count("SLA breached") == 2
    assert "overdue 1h 00m" in priority
    assert "no breach" in standard  # 8h targets: 6h left
    assert "6h 00m left" in standard
