"""The hot path's statements, counted on the real store: a recorded triage is the profile's two statements
and the ticket with its decision (one INSERT ... RETURNING on PostgreSQL, that and the decision's INSERT on
SQLite); a message taken in at the desk adds only the desk's own rows and lookups, and reads nothing back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

from rapport.domain import Intent, IntentReading
from rapport.domain.desk import Actor, Role
from rapport.drafting.template_drafter import TemplateDrafter
from rapport.policy import default_policy
from rapport.services.desk.intake import IntakeOutcome, TicketIntake, take_in
from rapport.services.merchants import MerchantContext
from rapport.services.tenancy import Tenant, brand_of
from rapport.services.triage import TriageRequest, triage
from store_builders import StoreBuilder

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK")


class DamagedReader:
    def classify(self, text: str) -> IntentReading:
        return IntentReading(intent=Intent.DAMAGED_ITEM, confidence=0.9, source="model")


@contextmanager
def statements_sent(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements sent inside the block, without BEGIN / COMMIT / ROLLBACK."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, _params: Any, _ctx: Any, _many: bool) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            sent.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def a_customer_with_orders(store: StoreBuilder) -> str:
    dana = store.customer(email="dana.lee@example.com", tags=("vip",))
    for days_ago in (3, 40, 90):
        store.order(dana, days_ago=days_ago, items=("Bowl", "Mug"))
    store.subscription(dana)
    return "dana.lee@example.com"


def test_a_recorded_triage_sends_at_most_four_statements(engine: Engine, store: StoreBuilder) -> None:
    email = a_customer_with_orders(store)
    merchant = MerchantContext(id=store.merchant_id, slug="default", currency="USD")
    request = TriageRequest(email=email, message="My bowl arrived cracked", now=store.now)
    with statements_sent(engine) as sent:
        result = triage(
            store.uow_factory,
            merchant=merchant,
            policy=default_policy(),
            classifier=DamagedReader(),
            request=request,
            record=True,
        )
    assert result.ticket.order is not None
    writes = [s for s in sent if s.startswith(("INSERT", "WITH"))]
    if engine.dialect.name == "postgresql":
        assert len(sent) == 3, sent
        (write,) = writes
        assert write.startswith("WITH")
        assert "INSERT INTO tickets" in write
        assert "INSERT INTO decisions" in write
    else:
        assert len(sent) == 4, sent
        assert [w.split(" (")[0] for w in writes] == ["INSERT INTO tickets", "INSERT INTO decisions"]
        assert "RETURNING" in writes[0]


def test_a_new_desk_ticket_reads_nothing_back_after_writing(engine: Engine, store: StoreBuilder) -> None:
    email = a_customer_with_orders(store)
    policy = default_policy()
    merchant = MerchantContext(id=store.merchant_id, slug="default", currency="USD")
    tenant = Tenant(merchant=merchant, policy=policy, brand=brand_of(policy), policy_version=None)
    machine = Actor(merchant_id=store.merchant_id, role=Role.AGENT, key_id=None, label="key rk_test")
    with statements_sent(engine) as sent:
        result = take_in(
            store.uow_factory,
            tenant=tenant,
            actor=machine,
            classifier=DamagedReader(),
            drafter=TemplateDrafter(),
            intake=TicketIntake(
                email=email, body="My bowl arrived cracked", now=store.now, idempotency_key="k"
            ),
        )
    assert result.outcome is IntakeOutcome.CREATED
    first_write = next(i for i, s in enumerate(sent) if s.startswith(("INSERT", "WITH")))
    assert all(not s.startswith("SELECT") for s in sent[first_write:]), sent[first_write:]
    # The profile (2); under the write lock the retry check with the customer's unresolved ticket (1),
    # the follow-ups the message cancels, the ticket and its decision (1 or 2), the two messages and the
    # event. PostgreSQL writes the two messages in one multi-row INSERT; SQLite, whose RETURNING does not
    # promise the rows' order, one at a time.
    postgres = engine.dialect.name == "postgresql"
    assert len(sent) == (7 if postgres else 9), "\n".join(s[:90] for s in sent)
    assert sum(s.startswith("INSERT INTO ticket_messages") for s in sent) == (1 if postgres else 2)
