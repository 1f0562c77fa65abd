"""Segment sizes in one statement: each customer's facts as one aggregate row, the policy's segment rules
as one `CASE WHEN … END` (first match wins), and one count per segment.

Over 1M customers it reads the orders from the covering index `ix_orders_customer_facts`, in customer
order on both backends (benchmarks/bench_segments.py has the figures and why each backend is steered).

The facts are computed exactly as `profiles.ProfileRepository` computes a profile (same filters, same
windows, money rounded half-up to the cent), and only those the rules read. Money is worked out in whole
cents and divided by 100 as a double at the end, so a fact equals the engine's `float(Decimal)` bit for bit
on both backends. Customers without an e-mail are not counted (they have no profile to look up).

Known difference: on SQLite `tenure_days` is worked out in milliseconds (SQLite's julianday precision),
so a customer within a millisecond of a whole day of tenure may be a day off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    not_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import FromClause, Select, Subquery

from rapport.policy.cel_subset import (
    Node,
    facts_read,
)
from rapport.store.models import (
    Customer,
    Grant,
    Order,
    Subscription,
    SupportContact,
    TicketRecord,
    table_of,
)
from rapport.store.repositories.orders import is_cancelled
from rapport.store.repositories.profiles import (
    CLOSED_FULFILLMENT,
    CREDIT_OFFERS,
    REFUND_OFFERS,
    counted,
)
from rapport.store.repositories.segment_rules_sql import EVERY_ID, IdRange, grouped_op, rule_sql, within

ORDER_FACTS = frozenset(
    {"orders_count", "total_spent", "spent_last_365d", "average_order_value", "open_orders", "tenure_days"}
)
CONTACT_FACTS = frozenset({"contacts_last_90d", "refunds_last_90d", "credits_last_90d", "granted_last_90d"})
_MS_PER_DAY = 86_400_000
PG_WORK_MEM = "256MB"  # for the count's statement only (SET LOCAL)
# PostgreSQL counts the customers in this many ranges of ids, one `UNION ALL` branch each, which its
# parallel workers share out (a statement whose customers all join one orders aggregate runs in one
# process); more branches than processes, so that a process slowed by other load takes fewer of them.
PG_ID_RANGES = 8


class SegmentCountRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def count(
        self, *, merchant_id: int, rules: Sequence[tuple[str, Node]], otherwise: str, now: datetime
    ) -> dict[str, int]:
        """Customers per segment: the first of `rules` (name and rule) that holds, else `otherwise`."""
        postgresql = self.session.get_bind().dialect.name == "postgresql"
        ranges = self._id_ranges(PG_ID_RANGES) if postgresql else [EVERY_ID]
        query = self.query(merchant_id=merchant_id, rules=rules, otherwise=otherwise, now=now, ranges=ranges)
        if postgresql:
            # The CASE's subplans make the planner's estimate huge, so it JIT-compiles the statement:
            # over 100k customers that took 0.5 of 1.2 s, for a query that runs once.
            self.session.execute(text("SET LOCAL jit = off"))
            # The planner guesses a quarter of the customers have orders, so it hashes the orders'
            # aggregates and joins them by hash (12 s over 1M customers, 4M orders, loaded machine);
            # merging the customers in id order with the orders aggregated in customer order from
            # the covering index streams both (3.8 s, same run).
            self.session.execute(text("SET LOCAL enable_hashagg = off"))
            self.session.execute(text("SET LOCAL enable_hashjoin = off"))
            # The tag and subscriber tests are hashed sets; with the default 4 MB they fall back
            # to a probe per customer. One statement of one session may use more.
            self.session.execute(text(f"SET LOCAL work_mem = '{PG_WORK_MEM}'"))
            # Each branch whole to one process: a partial (parallel) scan of a branch's customers would
            # have every process that joins the branch aggregate all of its orders again.
            self.session.execute(text("SET LOCAL min_parallel_table_scan_size = '1TB'"))
            self.session.execute(text("SET LOCAL min_parallel_index_scan_size = '1TB'"))
        row = self.session.execute(query).one()
        return {name: int(n) for name, n in zip(_names(rules, otherwise), row, strict=True) if n}

    def query(
        self,
        *,
        merchant_id: int,
        rules: Sequence[tuple[str, Node]],
        otherwise: str,
        now: datetime,
        ranges: Sequence[IdRange] = (EVERY_ID,),
    ) -> Select[*tuple[int, ...]]:
        """The count's statement, one row of one count per segment name (`count` runs it), over the
        customers whose ids are in `ranges` (which must not overlap), one `UNION ALL` branch each."""
        dialect = self.session.get_bind().dialect.name
        names = _names(rules, otherwise)
        branches = [
            self._branch(
                merchant_id=merchant_id, rules=rules, names=names, otherwise=otherwise, now=now, ids=ids
            )
            for ids in ranges
        ]
        # The OFFSET keeps both backends from merging `chosen` into the counts (which would work the
        # CASE out once per count); one count per segment rather than a GROUP BY, which SQLite does by
        # sorting every customer.
        if len(branches) == 1:
            segment = branches[0].offset(0).subquery("chosen").c.segment
        else:
            segment = union_all(*branches).subquery("chosen").c.segment
        counts = select(*[func.count().filter(segment == index) for index in range(len(names))])
        return _lists_inline(counts) if dialect == "sqlite" else counts

    def _branch(
        self,
        *,
        merchant_id: int,
        rules: Sequence[tuple[str, Node]],
        names: list[str],
        otherwise: str,
        now: datetime,
        ids: IdRange,
    ) -> Select[tuple[int]]:
        """The segment of each customer in `ids`, as its position in `names` (integers compare faster)."""
        dialect = self.session.get_bind().dialect.name
        needed = frozenset().union(*(facts_read(rule) for _, rule in rules))
        facts = _facts(merchant_id=merchant_id, now=now, needed=needed, dialect=dialect, ids=ids)
        # SQLite reads one set per tag test; PostgreSQL too when the branch's ids bound the set.
        in_sets = dialect == "sqlite" or ids != EVERY_ID
        choice = case(
            *[
                (rule_sql(rule, facts, in_sets=in_sets, ids=ids), literal(names.index(name), BigInteger()))
                for name, rule in rules
            ],
            else_=literal(names.index(otherwise), BigInteger()),
        )
        return select(choice.label("segment")).select_from(facts)

    def _id_ranges(self, parts: int) -> list[IdRange]:
        """The customers' ids cut into `parts` ranges of equal width, the first and last unbounded (so
        that a customer added since the look-up is still counted)."""
        low, high = self.session.execute(select(func.min(Customer.id), func.max(Customer.id))).one()
        if low is None or high is None:
            return [EVERY_ID]
        width = -(-(high - low + 1) // parts)
        starts = range(low + width, high + 1, width)
        uppers: list[int | None] = [start - 1 for start in starts]
        lowers: list[int | None] = [None, *starts]
        return list(zip(lowers, [*uppers, None], strict=True))


def _lists_inline(statement: Select[*tuple[int, ...]]) -> Select[*tuple[int, ...]]:
    """The statement with every `IN (list)` written out as constants (quoted by SQLAlchemy's literal
    rendering): SQLite then builds each list once, where `NOT IN (?, ?)` costs it per order row (the
    policy reading every fact took 10.2 s of CPU with bound lists, 4.8 s inline, over 1M customers)."""

    def inline(bind: BindParameter[Any]) -> None:
        if bind.expanding:
            bind.literal_execute = True

    inlined: Select[*tuple[int, ...]] = visitors.cloned_traverse(statement, {}, {"bindparam": inline})
    return inlined


def _names(rules: Sequence[tuple[str, Node]], otherwise: str) -> list[str]:
    return list(dict.fromkeys([*(name for name, _ in rules), otherwise]))


def _cents(amount: ColumnElement[Any]) -> ColumnElement[Any]:
    """A money sum as whole cents (0 when there is none), rounded half-up like the profile's `_money`."""
    return func.coalesce(cast(func.round(amount * 100), BigInteger), 0)


def _as_money(cents: ColumnElement[Any]) -> ColumnElement[Any]:
    return grouped_op(cast(cents, Float()), "/", literal(100.0, Float()), Float())


def _facts(
    *, merchant_id: int, now: datetime, needed: frozenset[str], dialect: str, ids: IdRange
) -> Subquery:
    """One row per customer of the merchant (with an e-mail): its id and the facts in `needed`."""
    merchant: ColumnElement[int] = Customer.merchant_id.expression
    if dialect == "sqlite":
        # `+ 0` keeps SQLite off the (merchant_id, email) index: reading customers in id order makes
        # every per-customer lookup (orders, tags) walk its index forward instead of jumping about.
        merchant = Customer.merchant_id + 0
    in_sets = dialect == "sqlite" or ids != EVERY_ID
    query = select(Customer.id.label("id"), *_customer_facts(needed, in_sets=in_sets, ids=ids))
    if needed & ORDER_FACTS:
        orders = _order_aggregates(now, needed, grouped=dialect != "sqlite", ids=ids)
        query = query.outerjoin_from(Customer, orders.source, orders.on)
        if dialect == "sqlite":
            query = query.group_by(Customer.id)
        query = query.add_columns(*_order_facts(orders.aggregates, needed, now, dialect))
    customers = query.where(
        merchant == merchant_id, Customer.email.is_not(None), *within(Customer.id.expression, ids)
    ).subquery("customer_facts")
    if not needed & CONTACT_FACTS:
        return customers
    contacts, tickets, grants = _contact_aggregates(merchant_id, now, ids)
    with_contacts = (
        select(customers, *_contact_facts(contacts, tickets, grants, needed))
        .outerjoin_from(customers, contacts, contacts.c.customer_id == customers.c.id)
        .outerjoin_from(customers, tickets, tickets.c.customer_id == customers.c.id)
        .outerjoin_from(customers, grants, grants.c.customer_id == customers.c.id)
    )
    return with_contacts.subquery("facts")


def _customer_facts(needed: frozenset[str], *, in_sets: bool, ids: IdRange) -> list[ColumnElement[Any]]:
    subscribed = and_(
        Subscription.status == "active",
        Subscription.customer_id.is_not(None),
        *within(Subscription.customer_id.expression, ids),
    )
    active: ColumnElement[bool]
    if in_sets:  # SQLite: one set of subscribers for the statement, not one lookup per customer
        active = Customer.id.in_(select(Subscription.customer_id).where(subscribed))
    else:
        active = exists().where(Subscription.customer_id == Customer.id, subscribed)
    available: dict[str, ColumnElement[Any]] = {
        "is_known": true(),
        "email": Customer.email.expression,
        "loyalty_tier": func.coalesce(Customer.loyalty_tier, ""),
        "loyalty_points": cast(func.coalesce(Customer.loyalty_points, 0), BigInteger),
        "has_active_subscription": active,
    }
    return [column.label(name) for name, column in available.items() if name in needed]


@dataclass(frozen=True)
class _OrderAggregates:
    """What to join to the customers for their orders' aggregates: the orders table itself (SQLite,
    grouped by customer in the outer query) or the aggregates grouped by customer (PostgreSQL)."""

    source: FromClause
    on: ColumnElement[bool]
    aggregates: dict[str, ColumnElement[Any]]


def _order_aggregates(
    now: datetime, needed: frozenset[str], *, grouped: bool, ids: IdRange
) -> _OrderAggregates:
    """The aggregates the `needed` facts are made of, only those (each costs a pass).

    SQLite builds an index on an aggregated subquery on every run to join it; joining the orders
    themselves walks the covering index once per customer, in customer order, which is cheaper.
    PostgreSQL hashes the aggregated subquery, which is cheaper there."""
    is_open = and_(not_(is_cancelled()), Order.fulfillment_status.not_in(CLOSED_FULFILLMENT))
    recent = Order.created_at >= now - timedelta(days=365)
    counted_only: dict[str, tuple[set[str], FunctionElement[Any]]] = {
        "orders_count": ({"orders_count", "average_order_value"}, func.count(Order.customer_id)),
        "total_spent": ({"total_spent", "average_order_value"}, func.sum(Order.total)),
        "spent_last_365d": ({"spent_last_365d"}, func.sum(case((recent, Order.total)))),
        "first_order_at": ({"tenure_days"}, func.min(Order.created_at)),
    }
    chosen: dict[str, ColumnElement[Any]] = {
        name: agg for name, (facts, agg) in counted_only.items() if needed & facts
    }
    conditions = [Order.created_at <= now, *within(Order.customer_id.expression, ids)]
    if "open_orders" in needed:  # the one aggregate over orders that are not counted
        chosen = {
            name: agg.filter(counted()) for name, (facts, agg) in counted_only.items() if needed & facts
        }
        chosen["open_orders"] = func.count(Order.customer_id).filter(is_open)
    else:  # every aggregate reads counted orders only: filter once, not once per aggregate
        conditions.append(counted())
    if not grouped:
        on = and_(Order.customer_id == Customer.id, *conditions)
        return _OrderAggregates(table_of(Order), on, dict(chosen))
    by_customer = (
        select(Order.customer_id.label("customer_id"), *(agg.label(name) for name, agg in chosen.items()))
        .where(Order.customer_id.is_not(None), *conditions)
        .group_by(Order.customer_id)
        .subquery("order_facts")
    )
    columns: dict[str, ColumnElement[Any]] = {name: by_customer.c[name] for name in chosen}
    return _OrderAggregates(by_customer, by_customer.c.customer_id == Customer.id, columns)


def _order_facts(
    columns: dict[str, ColumnElement[Any]], needed: frozenset[str], now: datetime, dialect: str
) -> list[ColumnElement[Any]]:
    available: dict[str, ColumnElement[Any]] = {}
    if "orders_count" in columns:
        count = cast(func.coalesce(columns["orders_count"], 0), BigInteger)
        available["orders_count"] = count
    if "total_spent" in columns:
        total = _cents(columns["total_spent"])
        available["total_spent"] = _as_money(total)
    if "orders_count" in columns and "total_spent" in columns:
        available["average_order_value"] = _as_money(_average_cents(total, count))
    if "spent_last_365d" in columns:
        available["spent_last_365d"] = _as_money(_cents(columns["spent_last_365d"]))
    if "open_orders" in columns:
        available["open_orders"] = cast(func.coalesce(columns["open_orders"], 0), BigInteger)
    if "first_order_at" in columns:
        since = func.coalesce(columns["first_order_at"], Customer.created_at)
        available["tenure_days"] = _tenure_days(since, now, dialect)
    return [column.label(name) for name, column in available.items() if name in needed]


def _average_cents(total: ColumnElement[Any], count: ColumnElement[Any]) -> ColumnElement[Any]:
    """total / count in cents, half-up (away from zero), in integers so that no float rounding enters."""
    halves = grouped_op(func.abs(total) * 2 + count, "/", count * 2, BigInteger())
    return case((count == 0, 0), (total < 0, -halves), else_=halves)


def _tenure_days(since: ColumnElement[Any], now: datetime, dialect: str) -> ColumnElement[Any]:
    """Whole days from `since` to `now`, never negative (0 without a date), as `timedelta.days`."""
    if dialect == "sqlite":
        stamp = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # as UtcDateTime stores it

        def ms(value: ColumnElement[Any]) -> ColumnElement[Any]:
            return cast(func.round(func.julianday(value) * _MS_PER_DAY), BigInteger)

        difference = ms(literal(stamp, String())) - ms(since)
        per_day = literal(_MS_PER_DAY, BigInteger())
        days: ColumnElement[Any] = grouped_op(difference, "/", per_day, BigInteger())
    else:
        seconds = func.extract("epoch", literal(now) - since)
        days = cast(func.floor(grouped_op(seconds, "/", literal(86400.0, Float()), Float())), BigInteger)
    return case((since.is_(None), 0), (days < 0, 0), else_=days)


def _contact_aggregates(merchant_id: int, now: datetime, ids: IdRange) -> tuple[Subquery, Subquery, Subquery]:
    since = now - timedelta(days=90)
    amount = SupportContact.granted_amount
    contacts = (
        select(
            SupportContact.customer_id.label("customer_id"),
            func.count(SupportContact.id).label("contacts"),
            func.sum(amount).filter(SupportContact.granted_offer.in_(REFUND_OFFERS)).label("refunds"),
            func.sum(amount).filter(SupportContact.granted_offer.in_(CREDIT_OFFERS)).label("credits"),
        )
        .where(
            SupportContact.created_at >= since,
            SupportContact.created_at <= now,
            *within(SupportContact.customer_id.expression, ids),
        )
        .group_by(SupportContact.customer_id)
        .subquery("contact_facts")
    )
    tickets = (
        select(TicketRecord.customer_id.label("customer_id"), func.count(TicketRecord.id).label("tickets"))
        .where(
            TicketRecord.customer_id.is_not(None),
            TicketRecord.received_at >= since,
            TicketRecord.received_at <= now,
            *within(TicketRecord.customer_id.expression, ids),
        )
        .group_by(TicketRecord.customer_id)
        .subquery("ticket_facts")
    )
    granted = Grant.amount_in_policy_currency
    grants = (
        select(
            Grant.customer_id.label("customer_id"),
            func.sum(granted).filter(Grant.offer.in_(REFUND_OFFERS)).label("refunds"),
            func.sum(granted).filter(Grant.offer.in_(CREDIT_OFFERS)).label("credits"),
        )
        .where(
            Grant.merchant_id == merchant_id,
            Grant.customer_id.is_not(None),
            Grant.created_at >= since,
            Grant.created_at <= now,
            *within(Grant.customer_id.expression, ids),
        )
        .group_by(Grant.customer_id)
        .subquery("grant_facts")
    )
    return contacts, tickets, grants


def _contact_facts(
    contacts: Subquery, tickets: Subquery, grants: Subquery, needed: frozenset[str]
) -> list[ColumnElement[Any]]:
    refunds = _cents(contacts.c.refunds) + _cents(grants.c.refunds)
    credits = _cents(contacts.c.credits) + _cents(grants.c.credits)

    def positive(cents: ColumnElement[Any]) -> ColumnElement[Any]:
        return case((cents < 0, 0), else_=cents)

    available: dict[str, ColumnElement[Any]] = {
        "contacts_last_90d": cast(
            func.coalesce(contacts.c.contacts, 0) + func.coalesce(tickets.c.tickets, 0), BigInteger
        ),
        "refunds_last_90d": _as_money(refunds),
        "credits_last_90d": _as_money(credits),
        "granted_last_90d": _as_money(positive(refunds) + positive(credits)),
    }
    return [column.label(name) for name, column in available.items() if name in needed]


__all__ = ["SegmentCountRepository"]
