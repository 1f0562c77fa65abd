"""Segment sizes counted in SQL agree with the engine on random stores and random rules (SQLite, and
PostgreSQL when RAPPORT_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert

from rapport.domain import OfferKind
from rapport.domain.desk import Role
from rapport.engine.authority import GrantEntry
from rapport.engine.facts import customer_facts
from rapport.engine.segmenting import choose_segment
from rapport.policy import Policy, Segment, default_policy
from rapport.services.segments import count_segments, no_order_facts, translated_rules
from rapport.store.models import TicketRecord, table_of
from rapport.store.unit_of_work import UnitOfWork
from store_builders import StoreBuilder

NOW = datetime.fromisoformat("2026-11-20T12:00:00+00:00")

# --- random segment rules over the subset SQL counts (CEL text) -----------------------------------
INT_FACTS = ("orders_count", "tenure_days", "open_orders", "loyalty_points", "contacts_last_90d")
DOUBLE_FACTS = (
    "total_spent",
    "spent_last_365d",
    "average_order_value",
    "refunds_last_90d",
    "credits_last_90d",
    "granted_last_90d",
)
TAGS = ("loyalty", "vip", "wholesale")
TIERS = ("", "gold", "silver")


def _fact(names: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.sampled_from(names).map(lambda name: f"customer.{name}")


def _binary(operand: st.SearchStrategy[str], ops: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.tuples(operand, st.sampled_from(ops), operand).map(lambda t: f"({t[0]} {t[1]} {t[2]})")


# Literals near the values the random stores hold, so that rules split customers.
int_literals = st.integers(min_value=-3, max_value=400).map(str)
ints = st.recursive(
    st.one_of(_fact(INT_FACTS), int_literals, st.just("order.age_days")),
    lambda inner: st.one_of(
        _binary(inner, ("+", "-", "*")),
        st.tuples(inner, st.sampled_from(("/", "%")), st.sampled_from(("2", "3", "-4"))).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        inner.map(lambda e: f"-{e}"),
    ),
    max_leaves=4,
)
doubles = st.recursive(
    st.one_of(
        _fact(DOUBLE_FACTS),
        st.sampled_from(("0.0", "0.5", "10.0", "49.99", "75.25", "120.0", "300.0", "1e2")),
        st.just("order.total"),
    ),
    lambda inner: st.one_of(
        _binary(inner, ("+", "-", "*")),
        st.tuples(inner, st.sampled_from(("2.0", "0.25", "-3.0"))).map(lambda t: f"({t[0]} / {t[1]})"),
    ),
    max_leaves=3,
)
strings = st.one_of(
    st.just("customer.loyalty_tier"), st.sampled_from(TIERS).map(lambda s: f"'{s}'"), st.just("ticket.intent")
)
numbers = st.one_of(ints, doubles)
atoms = st.one_of(
    st.tuples(numbers, st.sampled_from(("<", "<=", ">", ">=", "==", "!=")), numbers).map(" ".join),
    st.tuples(strings, st.sampled_from(("==", "!=")), strings).map(" ".join),
    st.sampled_from(TAGS).map(lambda t: f"'{t}' in customer.tags"),
    st.just("customer.loyalty_tier in customer.tags"),
    st.lists(st.sampled_from(TIERS), max_size=3).map(lambda xs: f"customer.loyalty_tier in {list(xs)}"),
    st.tuples(ints, st.lists(int_literals, max_size=3)).map(lambda t: f"{t[0]} in [{', '.join(t[1])}]"),
    st.sampled_from(
        ("customer.is_known", "customer.has_active_subscription", "true", "false", "order.exists")
    ),
    st.just("'anger' in ticket.signals"),
).map(lambda atom: f"({atom})")
rules = st.recursive(
    atoms,
    lambda inner: st.one_of(_binary(inner, ("&&", "||", "==", "!=")), inner.map(lambda e: f"!({e})")),
    max_leaves=4,
)


# --- random stores, written through the store's builders -------------------------------------------
@dataclass(frozen=True)
class OrderPlan:
    days_ago: float
    cents: int
    financial_status: str
    fulfillment_status: str
    cancelled: bool


@dataclass(frozen=True)
class CustomerPlan:
    since_days: int
    tier: str | None
    points: int
    tags: tuple[str, ...]
    orders: tuple[OrderPlan, ...]
    subscription: str | None
    contacts: tuple[tuple[float, str | None, int], ...]  # days ago, offer granted, cents
    grants: tuple[tuple[float, str, int], ...]
    tickets: tuple[float, ...]


days_ago = st.builds(
    lambda d, f: d + f, st.integers(min_value=-2, max_value=400), st.sampled_from((0, 0.25, 0.5))
)
recent_days = st.sampled_from((0.0, 10.0, 45.5, 89.75, 90.0, 90.25, 120.0))
orders = st.builds(
    OrderPlan,
    days_ago=days_ago,
    cents=st.integers(min_value=0, max_value=30_000),
    financial_status=st.sampled_from(("paid", "pending", "refunded", "voided", "partially_refunded")),
    fulfillment_status=st.sampled_from(("fulfilled", "unfulfilled", "partial", "restocked")),
    cancelled=st.booleans(),
)
customers = st.builds(
    CustomerPlan,
    since_days=st.integers(min_value=-1, max_value=600),
    tier=st.sampled_from((None, "gold", "silver")),
    points=st.integers(min_value=0, max_value=3_000),
    tags=st.lists(st.sampled_from(TAGS), unique=True, max_size=2).map(tuple),
    orders=st.lists(orders, max_size=4).map(tuple),
    subscription=st.sampled_from((None, "active", "cancelled")),
    contacts=st.lists(
        st.tuples(
            recent_days, st.sampled_from((None, "refund", "store_credit", "waive_fee")), st.integers(0, 9_000)
        ),
        max_size=2,
    ).map(tuple),
    grants=st.lists(
        st.tuples(recent_days, st.sampled_from(("partial_refund", "store_credit")), st.integers(0, 9_000)),
        max_size=1,
    ).map(tuple),
    tickets=st.lists(recent_days, max_size=1).map(tuple),
)

_merchants = itertools.count()


def _build(store: StoreBuilder, engine: Engine, plans: list[CustomerPlan]) -> list[str]:
    emails = []
    for index, plan in enumerate(plans):
        email = f"customer{index}@example.com"
        emails.append(email)
        customer_id = store.customer(
            email=email,
            since_days=plan.since_days,
            loyalty_tier=plan.tier,
            loyalty_points=plan.points,
            tags=plan.tags,
        )
        for order in plan.orders:
            store.order(
                customer_id,
                days_ago=order.days_ago,
                total=str(Decimal(order.cents) / 100),
                financial_status=order.financial_status,
                fulfillment_status=order.fulfillment_status,
                cancelled_at=NOW - timedelta(days=order.days_ago) if order.cancelled else None,
            )
        if plan.subscription is not None:
            store.subscription(customer_id, status=plan.subscription)
        for ago, offer, cents in plan.contacts:
            amount = None if offer is None else str(Decimal(cents) / 100)
            store.contact(customer_id, ago=timedelta(days=ago), offer=offer, amount=amount)
        _ledger(store, customer_id, email, plan.grants)
        with engine.begin() as connection:
            for ago in plan.tickets:
                connection.execute(
                    insert(table_of(TicketRecord)).values(
                        merchant_id=store.merchant_id,
                        customer_id=customer_id,
                        email=email,
                        message="Where is my order?",
                        received_at=NOW - timedelta(days=ago),
                        channel="email",
                        intent="where_is_my_order",
                    )
                )
    return emails


def _ledger(
    store: StoreBuilder, customer_id: int, email: str, grants: tuple[tuple[float, str, int], ...]
) -> None:
    with store.uow_factory() as uow:
        for ago, offer, cents in grants:
            amount = Decimal(cents) / 100
            entry = GrantEntry(
                email=email,
                customer_id=customer_id,
                ticket_id=None,
                order_id=None,
                offer=OfferKind(offer),
                amount=amount,
                percent=None,
                currency="USD",
                amount_in_policy_currency=amount,
                granted_by_user_id=None,
                granted_by_label="agent@acme.test",
                role=Role.AGENT,
                reason=None,
                idempotency_key=None,
                created_at=NOW - timedelta(days=ago),
            )
            uow.grants.add(merchant_id=store.merchant_id, entry=entry)
        uow.commit()


BASE_POLICY = default_policy()  # loaded once: only its segments change


def _policy(sources: list[str]) -> Policy:
    segments = [Segment(name=f"s{i}", when=source) for i, source in enumerate(sources)]
    return BASE_POLICY.model_copy(update={"segments": [*segments, Segment(name="rest", when="true")]})


def _profiles(
    uow_factory: Callable[[], UnitOfWork], merchant_id: int, emails: list[str]
) -> list[dict[str, object]]:
    """Each customer's facts as the engine sees them in a count."""
    with uow_factory() as uow:
        profiles = [uow.profiles.get_profile(merchant_id=merchant_id, email=e, now=NOW) for e in emails]
    return [{"customer": customer_facts(p), **no_order_facts(NOW)} for p in profiles]


def _expected(policy: Policy, facts: list[dict[str, object]]) -> dict[str, int]:
    return dict(Counter(choose_segment(policy, f).name for f in facts))


def _counted(uow_factory: Callable[[], UnitOfWork], merchant_id: int, policy: Policy) -> dict[str, int]:
    counted = count_segments(uow_factory, merchant_id=merchant_id, policy=policy, now=NOW)
    assert counted.method == "sql", counted.warnings
    return {s.name: s.customers for s in counted.segments if s.customers}


def _value_rules(facts: list[dict[str, object]], which: int) -> list[str]:
    """`customer.x == v` for every number fact, v the value one customer has: any fact SQL works out
    differently from the profile, however little, then splits the customers differently."""
    customer = facts[which % len(facts)]["customer"]
    assert isinstance(customer, dict)
    return [f"customer.{name} == {customer[name]!r}" for name in (*INT_FACTS, *DOUBLE_FACTS)]


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plans=st.lists(customers, min_size=1, max_size=4),
    sources=st.lists(rules, min_size=1, max_size=3),
    which=st.integers(min_value=0, max_value=3),
)
def test_sql_and_the_engine_put_every_customer_in_the_same_segment(
    plans: list[CustomerPlan],
    sources: list[str],
    which: int,
    uow_factory: Callable[[], UnitOfWork],
    engine: Engine,
) -> None:
    store = StoreBuilder(uow_factory, now=NOW, merchant=f"m{next(_merchants)}")
    emails = _build(store, engine, plans)
    facts = _profiles(uow_factory, store.merchant_id, emails)
    policy = _policy(sources)
    assert _counted(uow_factory, store.merchant_id, policy) == _expected(policy, facts)
    # Each rule alone as well, so that an early segment cannot hide a later rule's disagreement.
    for source in [*sources, *_value_rules(facts, which)]:
        alone = _policy([source])
        assert _counted(uow_factory, store.merchant_id, alone) == _expected(alone, facts), source


def test_on_sqlite_the_count_reads_orders_from_the_covering_index_in_customer_order(
    uow_factory: Callable[[], UnitOfWork], engine: Engine
) -> None:
    """The plan the 1M-customer figures rest on (benchmarks/bench_segments.py): customers in id order,
    each one's orders from the covering index, no sort, every `IN` list written inline."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan; PostgreSQL's depends on its statistics")
    store = StoreBuilder(uow_factory, now=NOW, merchant="plan")
    customer = store.customer(email="plan@example.com", tags=("loyalty",))
    store.order(customer, days_ago=3, total="25.00")
    rules, _ = translated_rules(BASE_POLICY, NOW)
    with uow_factory() as uow:
        query = uow.segment_counts.query(
            merchant_id=store.merchant_id, rules=rules, otherwise="standard", now=NOW
        )
    # As executed: literal_execute lists rendered, the other values bound.
    compiled = query.compile(engine, compile_kwargs={"render_postcompile": True})
    sql = str(compiled)
    values = tuple(compiled.params[name] for name in compiled.positiontup or ())
    with engine.connect() as connection:
        plan = [row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", values)]
    assert any("COVERING INDEX ix_orders_customer_facts" in step for step in plan), plan
    assert "SCAN customers" in plan, plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
    assert "IN (?" not in sql, "an IN list is still a bound parameter"
