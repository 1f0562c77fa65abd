"""The desk repository keeps merchants apart: another merchant's ticket id finds and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from rapport.domain import Intent, IntentReading
from rapport.domain.decision import EscalationLevel
from rapport.domain.desk import Actor, Role, TicketStatus
from rapport.domain.merchant import Merchant
from rapport.drafting.template_drafter import TemplateDrafter
from rapport.policy import default_policy
from rapport.services.desk.intake import TicketIntake, take_in
from rapport.services.tenancy import Tenant, brand_of
from rapport.store.unit_of_work import UnitsOfWork

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class DamagedReader:
    def classify(self, text: str) -> IntentReading:
        return IntentReading(intent=Intent.DAMAGED_ITEM, confidence=0.9, source="model")


def a_ticket(uow_factory: UnitsOfWork, slug: str) -> tuple[int, int]:
    """(merchant id, ticket id) of a new ticket of merchant `slug`, posted with an idempotency key."""
    with uow_factory() as uow:
        merchant_id = uow.merchants.get_or_create(slug)
        uow.commit()
    policy = default_policy()
    tenant = Tenant(Merchant(merchant_id, slug, policy.currency), policy, brand_of(policy), None)
    result = take_in(
        uow_factory,
        tenant=tenant,
        actor=Actor(merchant_id=merchant_id, role=Role.AGENT, label="key"),
        classifier=DamagedReader(),
        drafter=TemplateDrafter(),
        intake=TicketIntake(email="lena@example.com", body="Chipped.", now=NOW, idempotency_key="k-1"),
    )
    return merchant_id, result.view.ticket.id


def test_another_merchants_ticket_is_invisible_and_unchangeable(uow_factory: UnitsOfWork) -> None:
    acme, ticket_id = a_ticket(uow_factory, "acme")
    globex, _ = a_ticket(uow_factory, "globex")
    with uow_factory(write=True) as uow:
        assert uow.desk.get(merchant_id=globex, ticket_id=ticket_id) is None
        assert uow.desk.lock(merchant_id=globex, ticket_id=ticket_id) is None
        assert uow.desk.decision(merchant_id=globex, ticket_id=ticket_id) is None
        assert uow.desk.messages(merchant_id=globex, ticket_id=ticket_id) == []
        assert uow.desk.events(merchant_id=globex, ticket_id=ticket_id) == []
        changed = uow.desk.change(
            merchant_id=globex, ticket_id=ticket_id, expected=TicketStatus.OPEN, values={"status": "resolved"}
        )
        assert not changed
        uow.commit()
    with uow_factory() as uow:
        ticket = uow.desk.get(merchant_id=acme, ticket_id=ticket_id)
        assert ticket is not None
        assert ticket.status is TicketStatus.OPEN


def test_idempotency_keys_and_e_mails_are_per_merchant(uow_factory: UnitsOfWork) -> None:
    acme, acme_ticket = a_ticket(uow_factory, "acme")
    globex, globex_ticket = a_ticket(uow_factory, "globex")  # the same key and e-mail: its own ticket
    assert acme_ticket != globex_ticket
    with uow_factory() as uow:
        assert uow.desk.find_by_idempotency_key(merchant_id=acme, key="k-1") == acme_ticket
        assert uow.desk.find_by_idempotency_key(merchant_id=globex, key="k-1") == globex_ticket
        assert (
            uow.desk.find_unresolved_for_email(merchant_id=globex, email="LENA@example.com") == globex_ticket
        )


def test_the_queue_board_and_claims_see_only_the_merchants_tickets(uow_factory: UnitsOfWork) -> None:
    acme, acme_ticket = a_ticket(uow_factory, "acme")
    with uow_factory() as uow:
        globex = uow.merchants.get_or_create("globex")
        uow.commit()
    with uow_factory(write=True) as uow:
        assert uow.desk.queue_counts(merchant_id=globex) == []
        assert (
            uow.desk.queue_page(merchant_id=globex, queue="standard", statuses=[TicketStatus.OPEN], limit=10)
            == []
        )
        assert (
            uow.desk.next_claimable(merchant_id=globex, queue="standard", levels=[EscalationLevel.AGENT])
            is None
        )
        assert uow.desk.next_claimable(
            merchant_id=acme, queue="standard", levels=[EscalationLevel.AGENT]
        ) == (
            acme_ticket,
            TicketStatus.OPEN,
        )
