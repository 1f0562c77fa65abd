"""No sequence of concurrent grants exceeds a limit or a budget, on SQLite and PostgreSQL.

Hypothesis draws a sequence of grants for one customer (kinds, amounts, roles, some retried with the same
idempotency key); the sequence is spread over several threads, each granting in its own write unit of work,
all released at once. Afterwards the ledger is replayed in the order the grants were written (their ids)
with this file's own arithmetic from the policy text below: every grant must have fitted its role's cap and
what was left of its budget at that point, and no key may have granted twice.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert, select

from rapport.domain import OfferKind
from rapport.domain.desk import Actor, Role
from rapport.domain.errors import Forbidden
from rapport.domain.merchant import Merchant
from rapport.policy import parse_policy
from rapport.services.desk.grants import GrantRequest, GrantSubject, grant
from rapport.services.tenancy import Tenant, brand_of
from rapport.store.models import Grant, TicketRecord, table_of
from rapport.store.unit_of_work import UnitsOfWork
from store_builders import StoreBuilder

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
THREADS = 4
POLICY = """
currency: USD
segments: [{name: everyone}]
queues: [{name: all, segments: [everyone], first_response: 4h}]
limits:
  default: {max_refund: 100, max_credit: 20, max_discount_percent: 10, credit_budget_90d: 50,
            refund_budget_90d: 120}
resolutions:
  damaged_item: [{offer: apology_with_tracking}]
desk: {senior_multiple: 1.5}
"""
# The same numbers, as this test reads them from the text above (docs/policy.md, "desk").
CAP = {"store_credit": Fraction(20), "waive_fee": Fraction(100), "refund": Fraction(100)}
BUDGET = {"store_credit": Fraction(50), "waive_fee": Fraction(50), "refund": Fraction(120)}
MULTIPLE = {"agent": Fraction(1), "senior": Fraction(3, 2), "admin": Fraction(3, 2)}
_customers = itertools.count()


@dataclass(frozen=True)
class Ask:
    kind: str
    cents: int
    role: str
    key: str | None


asks = st.lists(
    st.builds(
        Ask,
        kind=st.sampled_from(["store_credit", "waive_fee", "refund"]),
        cents=st.one_of(st.sampled_from([1, 1000, 1250, 2000, 5000, 6000]), st.integers(1, 9000)),
        role=st.sampled_from(["agent", "agent", "senior", "admin"]),
        key=st.one_of(st.none(), st.sampled_from(["k1", "k2"])),
    ),
    min_size=2,
    max_size=10,
)


@pytest.fixture
def desk(uow_factory: UnitsOfWork) -> tuple[StoreBuilder, Tenant, dict[str, Actor]]:
    store = StoreBuilder(uow_factory, now=NOW)
    people = {role.value: store.person(role) for role in Role}
    policy = parse_policy(POLICY, "test.yaml")
    return store, Tenant(Merchant(store.merchant_id, "acme", "USD"), policy, brand_of(policy), None), people


def run_concurrently(
    units: UnitsOfWork, tenant: Tenant, people: dict[str, Actor], subject: GrantSubject, sequence: list[Ask]
) -> list[BaseException]:
    """Each thread grants its share of `sequence` in order, all starting together; unexpected errors."""
    barrier = threading.Barrier(THREADS)
    unexpected: list[BaseException] = []
    # A retry carries the same request as the first use of its key (else it would be a conflict).
    first_of_key: dict[str, Ask] = {}
    for ask in sequence:
        if ask.key is not None:
            first_of_key.setdefault(f"{subject.email}:{ask.key}", ask)

    def work(share: list[Ask]) -> None:
        barrier.wait()
        for ask in share:
            key = None if ask.key is None else f"{subject.email}:{ask.key}"
            ask = ask if key is None else first_of_key[key]
            request = GrantRequest(offer=OfferKind(ask.kind), amount=Decimal(ask.cents) / 100)
            try:
                with units(write=True) as uow:
                    grant(
                        uow,
                        tenant=tenant,
                        actor=people[ask.role],
                        subject=subject,
                        request=request,
                        idempotency_key=key,
                        now=NOW,
                    )
                    uow.commit()
            except Forbidden:
                pass  # above the authority at that moment: refused, as it should be
            except BaseException as error:  # noqa: BLE001 - reported below, in the test's thread
                unexpected.append(error)

    threads = [threading.Thread(target=work, args=(sequence[i::THREADS],)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return unexpected


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=asks)
def test_concurrent_grants_never_exceed_a_cap_or_a_budget(
    sequence: list[Ask],
    desk: tuple[StoreBuilder, Tenant, dict[str, Actor]],
    uow_factory: UnitsOfWork,
    engine: Engine,
) -> None:
    store, tenant, people = desk
    email = f"customer{next(_customers)}@example.com"
    customer_id = store.customer(email=email)
    with engine.begin() as connection:
        ticket_id = connection.execute(
            insert(table_of(TicketRecord))
            .values(
                merchant_id=store.merchant_id,
                customer_id=customer_id,
                email=email,
                message="It arrived chipped",
                received_at=NOW,
                channel="email",
                intent="damaged_item",
            )
            .returning(table_of(TicketRecord).c.id)
        ).scalar_one()
    subject = GrantSubject(
        ticket_id=ticket_id,
        email=email,
        customer_id=customer_id,
        segment="everyone",
        order_id=None,
        order_total=None,
        order_currency=None,
    )
    unexpected = run_concurrently(uow_factory, tenant, people, subject, sequence)
    assert unexpected == []
    grants = table_of(Grant).c
    with engine.connect() as connection:
        rows = connection.execute(
            select(grants.offer, grants.amount_in_policy_currency, grants.role, grants.idempotency_key)
            .where(grants.customer_id == customer_id)
            .order_by(grants.id)
        ).all()
    granted = Fraction(0)
    for offer, amount, role, _ in rows:
        value, multiple = Fraction(amount), MULTIPLE[role]
        assert value <= CAP[offer] * multiple, (offer, amount, role)
        assert granted + value <= BUDGET[offer] * multiple, (offer, amount, role, granted)
        granted += value
    keys = [key for *_, key in rows if key is not None]
    assert len(keys) == len(set(keys)), "a key granted twice"
    assert granted <= max(BUDGET.values()) * max(MULTIPLE[a.role] for a in sequence)
