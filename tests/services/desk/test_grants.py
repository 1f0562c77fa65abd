"""The grant ledger on the real store (SQLite and PostgreSQL): authority checked at grant time against the
history as it stands, every grant appended once, an idempotent retry never granting twice, and the
profile's 90-day sums (what the engine's offer-time limits read) including what the desk granted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, insert, select

from rapport.domain import OfferKind
from rapport.domain.desk import Actor, Role
from rapport.domain.errors import Conflict, Forbidden, InvalidInput
from rapport.domain.merchant import Merchant
from rapport.policy import parse_policy
from rapport.services.desk.grants import GrantRecord, GrantRequest, GrantSubject, grant, grants_for
from rapport.services.tenancy import Tenant, brand_of
from rapport.services.triage import TriageRequest, triage
from rapport.store.models import Grant, TicketRecord, table_of
from rapport.store.repositories.grants import GrantRepository
from rapport.store.unit_of_work import UnitsOfWork
from store_builders import StoreBuilder

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
POLICY = """
currency: USD
currency_rates: {EUR: 1.08}
segments: [{name: everyone}]
queues: [{name: all, segments: [everyone], first_response: 4h}]
limits:
  default: {max_refund: 100, max_credit: 20, max_discount_percent: 10, credit_budget_90d: 50,
            refund_budget_90d: 200}
resolutions:
  damaged_item: [{offer: store_credit, amount: 20}]
desk: {senior_multiple: 2}
"""


@dataclass
class Desk:
    """A merchant with one customer (Dana), an agent, a senior and an admin, and one ticket of Dana's."""

    units: UnitsOfWork
    store: StoreBuilder
    tenant: Tenant
    dana: int
    ticket_id: int
    people: dict[Role, Actor]

    def subject(self, *, order_total: str | None = None, currency: str | None = None) -> GrantSubject:
        return GrantSubject(
            ticket_id=self.ticket_id,
            email="Dana.Lee@example.com",
            customer_id=self.dana,
            segment="everyone",
            order_id=None,
            order_total=None if order_total is None else Decimal(order_total),
            order_currency=currency,
        )

    def give(
        self,
        offer: str,
        amount: str | None = None,
        *,
        role: Role = Role.AGENT,
        key: str | None = None,
        at: datetime = NOW,
        subject: GrantSubject | None = None,
        **fields: object,
    ) -> GrantRecord:
        request = GrantRequest(
            offer=OfferKind(offer),
            amount=None if amount is None else Decimal(amount),
            **fields,  # type: ignore[arg-type]
        )
        with self.units(write=True) as uow:
            record = grant(
                uow,
                tenant=self.tenant,
                actor=self.people[role],
                subject=subject or self.subject(),
                request=request,
                idempotency_key=key,
                now=at,
            )
            uow.commit()
        return record

    def ledger(self) -> list[GrantRecord]:
        return grants_for(self.units, self.store.merchant_id, "dana.lee@example.com")

    def profile_sums(self, at: datetime = NOW) -> tuple[Decimal, Decimal]:
        with self.units() as uow:
            card = uow.profiles.get_profile(
                merchant_id=self.store.merchant_id, email="dana.lee@example.com", now=at
            )
        return card.refunds_last_90d, card.credits_last_90d


@pytest.fixture
def desk(uow_factory: UnitsOfWork, engine: Engine) -> Desk:
    store = StoreBuilder(uow_factory, now=NOW)
    dana = store.customer(email="dana.lee@example.com")
    people = {role: store.person(role) for role in Role}
    with engine.begin() as connection:
        ticket_id = connection.execute(
            insert(table_of(TicketRecord))
            .values(
                merchant_id=store.merchant_id,
                customer_id=dana,
                email="dana.lee@example.com",
                message="It arrived chipped",
                received_at=NOW,
                channel="email",
                intent="damaged_item",
            )
            .returning(table_of(TicketRecord).c.id)
        ).scalar_one()
    policy = parse_policy(POLICY, "test.yaml")
    tenant = Tenant(Merchant(store.merchant_id, "acme", "USD"), policy, brand_of(policy), None)
    return Desk(uow_factory, store, tenant, dana, ticket_id, people)


def test_an_agents_refund_is_recorded_with_who_granted_it_and_what_it_counts(desk: Desk) -> None:
    record = desk.give("refund", "40.00")
    assert (record.offer, record.amount, record.currency, record.amount_in_policy_currency) == (
        OfferKind.REFUND,
        Decimal("40.00"),
        "USD",
        Decimal("40.00"),
    )
    assert (record.role, record.granted_by, record.ticket_id, record.replayed) == (
        Role.AGENT,
        "agent@acme.test",
        desk.ticket_id,
        False,
    )
    assert desk.ledger() == [record]


def test_the_profile_sums_include_what_the_desk_granted_next_to_the_imported_history(desk: Desk) -> None:
    desk.store.contact(desk.dana, ago=timedelta(days=10), offer="refund", amount="20.00")
    desk.store.contact(desk.dana, ago=timedelta(days=10), offer="store_credit", amount="5.00")
    desk.give("partial_refund", "12.50")
    desk.give("waive_fee", "4.00")  # a waived fee is refunded money, as in the imported history
    desk.give("store_credit", "7.25")
    desk.give("reship")  # no money: recorded, counted nowhere
    assert desk.profile_sums() == (Decimal("36.50"), Decimal("12.25"))


def test_the_engines_next_offer_is_capped_by_what_the_desk_granted(desk: Desk) -> None:
    desk.give("store_credit", "20.00")
    desk.give("store_credit", "15.00", role=Role.SENIOR)
    request = TriageRequest(
        email="dana.lee@example.com", message="Chipped again", now=NOW, intent="damaged_item"
    )
    with desk.units() as uow:
        merchant = uow.merchants.get(desk.store.merchant_id)
    result = triage(
        desk.units, merchant=merchant, policy=desk.tenant.policy, classifier=None, request=request
    )  # type: ignore[arg-type]
    offer = result.decision.resolution
    assert (offer.offer, offer.amount, offer.capped_by) == (
        OfferKind.STORE_CREDIT,
        Decimal("15.00"),
        "limits.default.credit_budget_90d",
    )


def test_the_window_is_the_90_days_before_now_both_ends_included(desk: Desk) -> None:
    # Each granted as of its own moment (whose window never sees later grants).
    desk.give("refund", "60.00", at=NOW - timedelta(days=10))
    desk.give("refund", "100.00", at=NOW - timedelta(days=90))
    desk.give("refund", "100.00", at=NOW - timedelta(days=90, seconds=1))
    assert desk.profile_sums() == (Decimal("160.00"), Decimal("0.00"))
    # At grant time the same window: 200.00 - 160.00 is left of the refund budget.
    with pytest.raises(Forbidden, match=r"at most 40\.00 USD \(limits\.default\.refund_budget_90d\)"):
        desk.give("refund", "40.01")
    desk.give("refund", "40.00")


def test_a_grant_above_the_budget_left_after_imported_contacts_is_refused_and_writes_nothing(
    desk: Desk,
) -> None:
    desk.store.contact(desk.dana, ago=timedelta(days=20), offer="store_credit", amount="45.00")
    with pytest.raises(Forbidden, match=r"at most 5\.00 USD \(limits\.default\.credit_budget_90d\)"):
        desk.give("store_credit", "5.01")
    assert desk.ledger() == []
    assert desk.give("store_credit", "5.00").amount == Decimal("5.00")


def test_each_grant_spends_the_budget_the_next_one_is_checked_against(desk: Desk) -> None:
    desk.give("store_credit", "20.00")
    desk.give("store_credit", "20.00")
    with pytest.raises(Forbidden, match="at most 10.00 USD"):
        desk.give("store_credit", "10.01")
    desk.give("store_credit", "10.00")
    with pytest.raises(Forbidden, match="at most 0.00 USD"):
        desk.give("store_credit", "0.01")
    # A senior's budget is twice the agent's: 100.00 - 50.00 granted.
    desk.give("store_credit", "40.00", role=Role.SENIOR)
    assert [g.amount for g in desk.ledger()] == [Decimal(v) for v in ("20.00", "20.00", "10.00", "40.00")]


def test_a_retry_with_the_same_key_returns_the_first_grant_and_grants_nothing_more(desk: Desk) -> None:
    first = desk.give("refund", "60.00", key="reply-7")
    again = desk.give("refund", "60.00", key="reply-7")
    assert again.replayed
    assert again.id == first.id
    assert len(desk.ledger()) == 1
    assert desk.profile_sums() == (Decimal("60.00"), Decimal("0.00"))


def test_the_same_key_for_another_grant_is_a_conflict(desk: Desk) -> None:
    desk.give("refund", "60.00", key="reply-7")
    with pytest.raises(Conflict):
        desk.give("refund", "61.00", key="reply-7")
    with pytest.raises(Conflict):
        desk.give("refund", "60.00", key="reply-7", role=Role.SENIOR)
    assert len(desk.ledger()) == 1


def test_a_retry_replays_even_when_the_budget_is_spent_since(desk: Desk) -> None:
    desk.give("store_credit", "20.00", key="k1")
    desk.give("store_credit", "20.00", key="k2")
    desk.give("store_credit", "10.00", key="k3")
    assert desk.give("store_credit", "20.00", key="k1").replayed


def test_the_ledger_is_append_only(desk: Desk) -> None:
    first = desk.give("refund", "10.00")
    desk.give("refund", "20.00")
    desk.give("apology_with_tracking")
    assert desk.ledger()[0] == first  # later grants never change an earlier line
    public = {name for name in vars(GrantRepository) if not name.startswith("_")}
    assert public == {
        "lock_customer",
        "find_by_key",
        "granted_90d",
        "add",
        "for_email",
    }  # no update, no delete


def test_an_admin_grants_above_the_senior_bound_only_with_a_written_reason(desk: Desk) -> None:
    with pytest.raises(Forbidden, match="an admin must write a reason"):
        desk.give("refund", "200.01", role=Role.ADMIN)
    with pytest.raises(Forbidden, match="an admin must write a reason"):
        desk.give("refund", "200.01", role=Role.ADMIN, reason="   ")
    record = desk.give("refund", "250.00", role=Role.ADMIN, reason="the owner promised it on the phone")
    assert (record.role, record.reason) == (Role.ADMIN, "the owner promised it on the phone")


def test_a_refund_in_the_orders_currency_is_counted_in_the_policys_rounded_up(desk: Desk) -> None:
    record = desk.give("refund", "92.59", subject=desk.subject(order_total="100.00", currency="EUR"))
    assert (record.currency, record.amount_in_policy_currency) == ("EUR", Decimal("100.00"))  # 99.9972
    with pytest.raises(Forbidden, match="more than the order's value"):
        desk.give(
            "refund",
            "100.01",
            role=Role.ADMIN,
            reason="x",
            subject=desk.subject(order_total="100.00", currency="EUR"),
        )


def test_money_for_an_order_in_a_currency_without_a_rate_is_refused(desk: Desk) -> None:
    with pytest.raises(Forbidden, match="no rate for CHF"):
        desk.give("refund", "10.00", subject=desk.subject(order_total="50.00", currency="CHF"))
    assert desk.give("reship", subject=desk.subject(order_total="50.00", currency="CHF")).currency == "CHF"


@pytest.mark.parametrize("amount", ["NaN", "sNaN", "Infinity", "-5.00", "0", "1E+27", "10.001"])
def test_amounts_that_are_no_sum_of_money_are_invalid_input(desk: Desk, amount: str) -> None:
    with pytest.raises(InvalidInput):
        desk.give("refund", amount, role=Role.ADMIN, reason="x")
    assert desk.ledger() == []


def test_only_a_person_grants(desk: Desk) -> None:
    machine = Actor(desk.store.merchant_id, Role.ADMIN, key_id=None, label="key rk_1")
    with desk.units(write=True) as uow, pytest.raises(Forbidden, match="only a person"):
        grant(
            uow,
            tenant=desk.tenant,
            actor=machine,
            subject=desk.subject(),
            request=GrantRequest(offer=OfferKind.APOLOGY_WITH_TRACKING),
            idempotency_key=None,
            now=NOW,
        )


def test_a_guests_grants_count_by_email(desk: Desk) -> None:
    guest = GrantSubject(
        ticket_id=desk.ticket_id,
        email="Walk.In@example.com",
        customer_id=None,
        segment="everyone",
        order_id=None,
        order_total=None,
        order_currency=None,
    )
    desk.give("store_credit", "20.00", subject=guest)
    desk.give("store_credit", "20.00", subject=guest)
    with pytest.raises(Forbidden, match="at most 10.00 USD"):
        desk.give("store_credit", "20.00", subject=guest)
    assert [g.email for g in grants_for(desk.units, desk.store.merchant_id, "walk.in@EXAMPLE.com")] == [
        "walk.in@example.com"
    ] * 2


def test_a_grant_in_a_read_transaction_on_sqlite_is_refused_rather_than_left_to_race(
    desk: Desk, engine: Engine
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL serializes with an advisory lock in any transaction")
    with desk.units() as uow, pytest.raises(RuntimeError, match="write unit of work"):
        grant(
            uow,
            tenant=desk.tenant,
            actor=desk.people[Role.AGENT],
            subject=desk.subject(),
            request=GrantRequest(offer=OfferKind.REFUND, amount=Decimal("1.00")),
            idempotency_key=None,
            now=NOW,
        )


def test_grants_of_another_merchant_are_not_read(desk: Desk, engine: Engine) -> None:
    desk.give("refund", "10.00")
    other = StoreBuilder(desk.units, now=NOW, merchant="globex")
    assert grants_for(desk.units, other.merchant_id, "dana.lee@example.com") == []
    with engine.connect() as connection:
        rows = connection.execute(select(table_of(Grant).c.merchant_id)).scalars().all()
    assert rows == [desk.store.merchant_id]
