"""`rapport demo --serve` opens a desk on the demo store: people who can log in with the printed
passwords, a working machine key, open tickets across the queues from customers of every segment, the
showcase's damaged bowls in their queues and one ticket already with the seniors."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from rapport.bootstrap import follow_up_units
from rapport.cli.main import app as cli
from rapport.demo.desk import DemoDesk, backlog_messages, set_up_desk
from rapport.demo.showcase import DAMAGED, Showcase, demo_app
from rapport.demo.synthetic import SHOWCASE
from rapport.domain.desk import Role, TicketStatus
from rapport.domain.follow_ups import FollowUpStatus
from rapport.services.access import authenticate_key, login
from rapport.services.desk.lifecycle import show
from rapport.services.follow_ups.admin import list_follow_ups

NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
CUSTOMERS = 200

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def opened(tmp_path_factory: pytest.TempPathFactory, demo_showcase: Showcase) -> tuple[Path, DemoDesk]:
    """The desk opened on a copy of the demo's store (the desk writes; the other demo tests read it)."""
    assert demo_showcase.customers == CUSTOMERS + len(SHOWCASE)
    database = tmp_path_factory.mktemp("demo") / "demo.db"
    with contextlib.closing(sqlite3.connect(demo_showcase.database)) as source:
        with contextlib.closing(sqlite3.connect(database)) as copy:
            source.backup(copy)  # the WAL's pages too, which copying the file would miss
    desk = set_up_desk(demo_app(database), now=NOW, seed=7, customers=CUSTOMERS, messages=backlog_messages())
    return database, desk


def test_the_desk_has_a_morning_of_tickets_across_the_queues(opened: tuple[Path, DemoDesk]) -> None:
    _, desk = opened
    counts = desk.queue_counts()
    assert 30 <= sum(counts.values()) <= 60
    assert {"priority", "standard", "senior"} <= set(counts)
    assert counts["priority"] >= 5
    assert counts["standard"] >= 5


def test_the_tickets_come_from_customers_of_every_segment(opened: tuple[Path, DemoDesk]) -> None:
    database, desk = opened
    segments = {segment.name for segment in demo_app(database).policy.segments}
    assert {t.segment for t in desk.tickets} == segments


def test_the_backlog_messages_are_the_tickets_bodies(opened: tuple[Path, DemoDesk]) -> None:
    database, desk = opened
    app = demo_app(database)
    ticket = desk.tickets[0]
    view = show(app.uow_factory, tenant=app.tenant(app.merchant.id), ticket_id=ticket.ticket_id, now=NOW)
    assert view.messages[0].body == backlog_messages()[0]


def test_the_showcase_customers_wrote_the_same_damaged_message_into_their_queues(
    opened: tuple[Path, DemoDesk],
) -> None:
    database, desk = opened
    app = demo_app(database)
    by_email = {t.email: t for t in desk.showcase}
    expected = {"vip": ("vip", "priority"), "subscriber": ("subscriber", "priority")}
    expected["first_time"] = ("first_time", "standard")
    for who, (segment, queue) in expected.items():
        ticket = by_email[SHOWCASE[who]]
        assert (ticket.segment, ticket.queue, ticket.status) == (segment, queue, TicketStatus.OPEN)
        view = show(app.uow_factory, tenant=app.tenant(app.merchant.id), ticket_id=ticket.ticket_id, now=NOW)
        assert view.messages[0].body == DAMAGED


def test_the_showcase_customers_new_messages_cancelled_the_follow_ups_pending_for_them(
    opened: tuple[Path, DemoDesk],
) -> None:
    database, desk = opened
    app = demo_app(database)
    emails = {t.email for t in desk.showcase}
    entries = list_follow_ups(follow_up_units(app), merchant_id=app.merchant.id, limit=10_000)
    theirs = [e for e in entries if e.email in emails]
    assert theirs
    assert {e.status for e in theirs} == {FollowUpStatus.CANCELLED}
    assert desk.cancelled_follow_ups == len(theirs)


def test_one_ticket_was_claimed_by_the_agent_and_escalated_to_the_seniors(
    opened: tuple[Path, DemoDesk],
) -> None:
    database, desk = opened
    assert desk.escalated is not None
    assert (desk.escalated.queue, desk.escalated.status) == ("senior", TicketStatus.ESCALATED)
    app = demo_app(database)
    view = show(
        app.uow_factory, tenant=app.tenant(app.merchant.id), ticket_id=desk.escalated.ticket_id, now=NOW
    )
    kinds = [(e.kind, e.actor_label) for e in view.events]
    assert ("claimed", "agent@demo.example") in kinds
    assert ("escalated", "agent@demo.example") in kinds


def test_each_person_logs_in_with_the_generated_password_and_has_their_role(
    opened: tuple[Path, DemoDesk],
) -> None:
    database, desk = opened
    app = demo_app(database)
    assert {p.role for p in desk.people} == {Role.ADMIN, Role.AGENT, Role.SENIOR}
    assert len({p.password for p in desk.people}) == 3
    for person in desk.people:
        session = login(
            app.uow_factory, merchant=desk.merchant, email=person.email, password=person.password, now=NOW
        )
        assert (session.actor.label, session.actor.role) == (person.email, person.role)


def test_the_machine_key_authenticates_as_a_machine_of_the_demo_merchant(
    opened: tuple[Path, DemoDesk],
) -> None:
    database, desk = opened
    app = demo_app(database)
    actor = authenticate_key(app.uow_factory, raw_key=desk.machine_key, now=NOW)
    assert actor.merchant_id == app.merchant.id
    assert not actor.is_person


def test_demo_serve_prints_the_passwords_and_key_and_serves_the_api_and_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: dict[str, Any] = {}

    def run(api: FastAPI, *, host: str, port: int) -> None:
        served.update(api=api, host=host, port=port)

    monkeypatch.setattr("uvicorn.run", run)
    monkeypatch.chdir(tmp_path)
    args = ["demo", "--customers", str(CUSTOMERS), "--database", "d.db", "--serve", "--port", "8123"]
    result = CliRunner().invoke(cli, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert (served["host"], served["port"]) == ("127.0.0.1", 8123)
    assert "http://127.0.0.1:8123/login" in result.stdout
    assert re.search(r"their new messages cancelled the \d+ follow-ups still scheduled", result.stdout)
    key = re.search(r"rk_[a-z0-9]{8}_[A-Za-z0-9_-]{43}", result.stdout)
    password = re.search(r"agent@demo\.example\s*│\s*(\S+)", result.stdout)
    assert key is not None, result.stdout
    assert password is not None, result.stdout
    client = TestClient(served["api"])
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {key.group(0)}"})
    assert me.status_code == 200
    assert me.json()["merchant"] == "default"
    assert client.get("/login").status_code == 200
    page = client.get("/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None
    form = {"merchant": "default", "email": "agent@demo.example", "password": password.group(1)}
    logged_in = client.post("/login", data={**form, "csrf_token": csrf.group(1)}, follow_redirects=False)
    assert logged_in.status_code == 303, logged_in.text
