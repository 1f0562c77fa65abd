"""The desk over HTTP: post a ticket, list the queues, claim, reply, escalate, claim as a senior; 403 for
an agent on a senior ticket and for a machine key on a claim; 409 on a bad transition; pagination."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rapport.services.access import add_user, create_key
from rapport.services.importing import import_jsonl
from rapport.store.unit_of_work import UnitOfWork

from .conftest import NOW, STORE, bearer, key_for

DANA = "dana.lee@example.com"  # a VIP of tests/cli/data/store.jsonl: the priority queue, escalates to senior
DAMAGED = "My bowl set arrived chipped, order #1042."


class Desk:
    """One app over the test store; a client per caller (a machine key, two agents, a senior)."""

    def __init__(self, app: FastAPI, uow_factory: Callable[[], UnitOfWork]) -> None:
        self.machine = TestClient(app, raise_server_exceptions=False, headers=bearer(key_for(uow_factory)))
        self.agent = self.person(app, uow_factory, "ann@acme.test", "agent")
        self.other_agent = self.person(app, uow_factory, "bob@acme.test", "agent")
        self.senior = self.person(app, uow_factory, "sue@acme.test", "senior")

    @staticmethod
    def person(app: FastAPI, uow_factory: Callable[[], UnitOfWork], email: str, role: str) -> TestClient:
        add_user(
            uow_factory, merchant="default", email=email, role=role, password="correct horse battery", now=NOW
        )
        key = create_key(uow_factory, merchant="default", now=NOW, user_email=email).secret
        return TestClient(app, raise_server_exceptions=False, headers=bearer(key))

    def post(self, **fields: Any) -> Any:
        body = {"email": DANA, "name": "Dana Lee", "subject": "Chipped bowls", "body": DAMAGED, **fields}
        return self.machine.post("/v1/tickets", json=body)


@pytest.fixture
def desk(uow_factory: Callable[[], UnitOfWork], make_app: Callable[..., FastAPI]) -> Desk:
    app = make_app()
    assert not import_jsonl(uow_factory, path=STORE, merchant="default").errors
    return Desk(app, uow_factory)


def test_a_posted_ticket_is_created_then_the_same_key_returns_it(desk: Desk) -> None:
    created = desk.post(idempotency_key="hd-1")
    assert created.status_code == 201, created.text
    assert created.json()["outcome"] == "created"
    ticket = created.json()["ticket"]
    assert (ticket["status"], ticket["queue"], ticket["segment"]) == ("open", "priority", "vip")
    assert ticket["decision"]["explanation"]
    assert ticket["draft"]["body"]
    assert ticket["draft"]["guardrails"]["passed"] is True
    assert ticket["sla"]["time_left_seconds"] == 3600  # the priority queue answers within 1h
    again = desk.post(idempotency_key="hd-1")
    assert again.status_code == 200
    assert again.json()["outcome"] == "retried"
    assert again.json()["ticket"]["id"] == ticket["id"]


def test_the_customers_next_message_is_appended(desk: Desk) -> None:
    first = desk.post().json()["ticket"]["id"]
    second = desk.post(body="Any news about the bowls?")
    assert second.status_code == 200
    assert second.json()["outcome"] == "appended"
    assert second.json()["ticket"]["id"] == first
    assert [m["author"] for m in second.json()["ticket"]["messages"]] == ["customer", "customer"]


def test_the_desk_flow_post_claim_reply_escalate_and_claim_as_senior(desk: Desk) -> None:
    ticket_id = desk.post().json()["ticket"]["id"]

    board = desk.machine.get("/v1/queues")
    assert board.status_code == 200
    queues = {q["name"]: q for q in board.json()["queues"]}
    assert set(queues) == {"priority", "standard", "senior", "manager"}
    assert queues["priority"]["counts"]["open"] == 1
    assert queues["priority"]["oldest_due"] is not None

    listed = desk.machine.get("/v1/queues/priority/tickets").json()
    assert [t["id"] for t in listed["tickets"]] == [ticket_id]
    assert listed["tickets"][0]["sla"]["breached"] is False

    claimed = desk.agent.post("/v1/queues/priority/claim")
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["id"] == ticket_id
    assert claimed.json()["assignee"] == "ann@acme.test"

    replied = desk.agent.post(
        f"/v1/tickets/{ticket_id}/reply",
        json={"body": "So sorry, Dana: a new set ships today.", "draft_source": "edited"},
    )
    assert replied.status_code == 200, replied.text
    assert replied.json()["ticket"]["sla"]["first_responded_at"] is not None
    assert replied.json()["grant"] is None

    escalated = desk.agent.post(f"/v1/tickets/{ticket_id}/escalate", json={"reason": "wants a refund too"})
    assert escalated.status_code == 200, escalated.text
    assert (escalated.json()["status"], escalated.json()["queue"], escalated.json()["assignee"]) == (
        "escalated",
        "senior",
        None,
    )

    refused = desk.other_agent.post(f"/v1/tickets/{ticket_id}/claim")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert desk.other_agent.post("/v1/queues/senior/claim").status_code == 409

    taken = desk.senior.post("/v1/queues/senior/claim")
    assert taken.status_code == 200, taken.text
    assert taken.json()["assignee"] == "sue@acme.test"

    resolved = desk.senior.post(f"/v1/tickets/{ticket_id}/resolve", json={"note": "refunded"})
    assert resolved.status_code == 200
    shown = desk.machine.get(f"/v1/tickets/{ticket_id}").json()
    assert [e["kind"] for e in shown["events"]] == [
        "created",
        "claimed",
        "replied",
        "escalated",
        "claimed",
        "resolved",
    ]
    assert shown["status"] == "resolved"


def test_a_bad_transition_is_409(desk: Desk) -> None:
    ticket_id = desk.post().json()["ticket"]["id"]
    assert desk.agent.post(f"/v1/tickets/{ticket_id}/claim").status_code == 200
    reopened = desk.agent.post(f"/v1/tickets/{ticket_id}/reopen")
    assert reopened.status_code == 409
    assert reopened.json()["error"]["code"] == "conflict"
    assert desk.other_agent.post(f"/v1/tickets/{ticket_id}/claim").status_code == 409


def test_a_machine_key_may_not_claim_or_reply(desk: Desk) -> None:
    ticket_id = desk.post().json()["ticket"]["id"]
    assert desk.machine.post(f"/v1/tickets/{ticket_id}/claim").status_code == 403
    assert desk.machine.post("/v1/queues/priority/claim").status_code == 403
    assert desk.machine.post(f"/v1/tickets/{ticket_id}/reply", json={"body": "hi"}).status_code == 403


def test_only_the_assignee_replies(desk: Desk) -> None:
    ticket_id = desk.post().json()["ticket"]["id"]
    desk.agent.post(f"/v1/tickets/{ticket_id}/claim")
    assert desk.other_agent.post(f"/v1/tickets/{ticket_id}/reply", json={"body": "hi"}).status_code == 403


def test_a_queue_is_paged_by_priority_then_due_without_repeats(desk: Desk) -> None:
    for n in range(5):
        desk.post(
            email=f"guest{n}@example.com",
            body="My mug arrived broken." + (" I am furious!" if n == 3 else ""),
        )
    seen: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = desk.machine.get("/v1/queues/standard/tickets", params=params)
        assert page.status_code == 200, page.text
        seen += page.json()["tickets"]
        pages += 1
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert len({t["id"] for t in seen}) == 5
    keys = [(-t["priority"], t["sla"]["first_response_due"], t["id"]) for t in seen]
    assert keys == sorted(keys)
    assert seen[0]["email"] == "guest3@example.com"  # the angry one ranks first


def test_an_unknown_queue_is_404_and_a_bad_page_is_422(desk: Desk) -> None:
    assert desk.machine.get("/v1/queues/nope/tickets").status_code == 404
    assert desk.machine.get("/v1/queues/standard/tickets", params={"limit": 101}).status_code == 422
    assert desk.machine.get("/v1/queues/standard/tickets", params={"cursor": "garbage"}).status_code == 422


def test_an_unknown_ticket_is_404(desk: Desk) -> None:
    assert desk.machine.get("/v1/tickets/999999").status_code == 404


def test_another_merchants_ticket_is_404(desk: Desk, uow_factory: Callable[[], UnitOfWork]) -> None:
    from rapport.services.merchants import open_merchant

    ticket_id = desk.post().json()["ticket"]["id"]
    open_merchant(uow_factory, slug="globex", currency="USD", create=True)
    globex = TestClient(
        desk.machine.app, raise_server_exceptions=False, headers=bearer(key_for(uow_factory, "globex"))
    )
    assert globex.get(f"/v1/tickets/{ticket_id}").status_code == 404


def test_posting_needs_a_key(desk: Desk) -> None:
    anonymous = TestClient(desk.machine.app, raise_server_exceptions=False)
    assert anonymous.post("/v1/tickets", json={"email": DANA, "body": DAMAGED}).status_code == 401
