"""In-memory fakes of the ports the services own (`rapport.services.ports`): use cases without a database.

As in cosmicpython's `tests/unit/test_handlers.py`, the fakes subclass the interfaces. A unit of work
works on its own copy of the shared state: `commit()` publishes the copy, `rollback()` (and leaving
`with` without committing) throws it away — so a test sees exactly what a real transaction would keep.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from rapport.domain import CustomerProfile, Decision, IntentReading, OrderSummary, Ticket
from rapport.domain.merchant import Merchant
from rapport.services import ports


@dataclass(frozen=True, slots=True)
class RecordedTicket:
    """What `tickets.record` was given, with the id it returned."""

    id: int
    merchant_id: int
    ticket: Ticket
    decision: Decision
    profile: CustomerProfile


@dataclass
class FakeState:
    """Everything the fake store holds; profiles and orders are keyed by (merchant id, e-mail)."""

    merchants: dict[str, Merchant] = field(default_factory=dict)
    profiles: dict[tuple[int, str], CustomerProfile] = field(default_factory=dict)
    orders: dict[tuple[int, str], tuple[OrderSummary, ...]] = field(default_factory=dict)
    tickets: list[RecordedTicket] = field(default_factory=list)


def _key(merchant_id: int, email: str) -> tuple[int, str]:
    return merchant_id, email.strip().lower()


class FakeMerchantRepository(ports.MerchantRepository):
    def __init__(self, state: FakeState) -> None:
        self.state = state

    def find(self, slug: str) -> Merchant | None:
        return self.state.merchants.get(slug)

    def get(self, merchant_id: int) -> Merchant | None:
        return next((m for m in self.state.merchants.values() if m.id == merchant_id), None)

    def find_by_shop_domain(self, shop_domain: str) -> Merchant | None:
        return next((m for m in self.state.merchants.values() if m.shop_domain == shop_domain), None)

    def all(self) -> list[Merchant]:
        return sorted(self.state.merchants.values(), key=lambda m: m.slug)

    def create(
        self, slug: str, *, currency: str, name: str | None = None, shop_domain: str | None = None
    ) -> Merchant:
        merchant = Merchant(
            id=len(self.state.merchants) + 1, slug=slug, currency=currency.upper(), shop_domain=shop_domain
        )
        self.state.merchants[slug] = merchant
        return merchant

    def set_currency(self, merchant_id: int, currency: str) -> None:
        for slug, merchant in self.state.merchants.items():
            if merchant.id == merchant_id:
                self.state.merchants[slug] = replace(merchant, currency=currency)

    def set_shop_domain(self, merchant_id: int, shop_domain: str) -> None:
        for slug, merchant in self.state.merchants.items():
            if merchant.id == merchant_id:
                self.state.merchants[slug] = replace(merchant, shop_domain=shop_domain)


class FakeProfileRepository(ports.ProfileRepository):
    """The profiles a test put in, in the merchant's currency, counting the tickets recorded since."""

    def __init__(self, state: FakeState) -> None:
        self.state = state

    def get_profile(self, *, merchant_id: int, email: str, now: datetime) -> CustomerProfile:
        currency = next(m.currency for m in self.state.merchants.values() if m.id == merchant_id)
        known = self.state.profiles.get(_key(merchant_id, email))
        if known is None:
            return CustomerProfile.guest(email, currency=currency)
        since = now - timedelta(days=90)
        triaged = sum(
            1
            for t in self.state.tickets
            if _key(t.merchant_id, t.ticket.email) == _key(merchant_id, email)
            and since <= t.ticket.received_at <= now
        )
        return replace(known, currency=currency, contacts_last_90d=known.contacts_last_90d + triaged)


class FakeOrderLookup(ports.OrderLookup):
    def __init__(self, state: FakeState) -> None:
        self.state = state

    def find_summary(self, *, merchant_id: int, name_or_id: str) -> OrderSummary | None:
        bare = name_or_id.strip().lstrip("#")
        mine = [o for (m, _), orders in self.state.orders.items() if m == merchant_id for o in orders]
        by_name = [o for o in mine if o.name in (name_or_id.strip(), f"#{bare}")]
        by_id = [o for o in mine if o.id == bare]
        found = by_name or by_id
        return found[0] if found else None

    def belongs_to(self, *, merchant_id: int, external_id: str, email: str) -> bool:
        return any(o.id == external_id for o in self.state.orders.get(_key(merchant_id, email), ()))


class FakeTicketRepository(ports.TicketRepository):
    def __init__(self, state: FakeState) -> None:
        self.state = state

    def record(
        self, *, merchant_id: int, ticket: Ticket, decision: Decision, profile: CustomerProfile
    ) -> int:
        ticket_id = len(self.state.tickets) + 1
        self.state.tickets.append(
            RecordedTicket(
                id=ticket_id, merchant_id=merchant_id, ticket=ticket, decision=decision, profile=profile
            )
        )
        return ticket_id


class NotFaked:
    """An ingestion repository these tests do not use: touching it is a test error, not a silent None."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, attribute: str) -> object:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        raise AssertionError(f"the fake unit of work has no {self.name}.{attribute}")


class FakeUnitOfWork(ports.UnitOfWork):
    """One transaction on a copy of the shared state."""

    def __init__(self, shared: FakeStore) -> None:
        self.shared = shared
        self.committed = False
        self.write = False
        self._begin()

    def _begin(self) -> None:
        self.work = copy.deepcopy(self.shared.state)
        self._merchants = FakeMerchantRepository(self.work)
        self._profiles = FakeProfileRepository(self.work)
        self._orders = FakeOrderLookup(self.work)
        self._tickets = FakeTicketRepository(self.work)

    # Properties, as the port declares them read-only.
    @property
    def merchants(self) -> FakeMerchantRepository:
        return self._merchants

    @property
    def profiles(self) -> FakeProfileRepository:
        return self._profiles

    @property
    def orders(self) -> FakeOrderLookup:
        return self._orders

    @property
    def tickets(self) -> FakeTicketRepository:
        return self._tickets

    # The ingestion repositories are not faked: the service tests here never write through them.
    customers: Any = NotFaked("customers")
    bulk_orders: Any = NotFaked("bulk_orders")
    subscriptions: Any = NotFaked("subscriptions")
    contacts: Any = NotFaked("contacts")
    shopify: Any = NotFaked("shopify")
    policies: Any = NotFaked("policies")
    users: Any = NotFaked("users")
    api_keys: Any = NotFaked("api_keys")
    web_sessions: Any = NotFaked("web_sessions")
    grants: Any = NotFaked("grants")
    desk: Any = NotFaked("desk")
    ticket_history: Any = NotFaked("ticket_history")

    def __enter__(self) -> FakeUnitOfWork:
        self._begin()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.rollback()

    def commit(self) -> None:
        self.shared.state = copy.deepcopy(self.work)
        self.committed = True

    def rollback(self) -> None:
        self._begin()


class FakeStore:
    """The shared in-memory store; `with_merchant` and `with_customer` put test data in, committed."""

    def __init__(self) -> None:
        self.state = FakeState()

    def with_merchant(self, slug: str = "default", *, currency: str = "USD") -> FakeStore:
        self.merchant(slug, currency=currency)
        return self

    def merchant(self, slug: str = "default", *, currency: str = "USD") -> Merchant:
        """The merchant `slug`, created with `currency` when new."""
        found = self.state.merchants.get(slug)
        if found is None:
            found = Merchant(id=len(self.state.merchants) + 1, slug=slug, currency=currency)
            self.state.merchants[slug] = found
        return found

    def with_customer(
        self, profile: CustomerProfile, *, orders: tuple[OrderSummary, ...] = (), merchant: str = "default"
    ) -> FakeStore:
        """A known customer who owns their profile's recent orders and `orders`."""
        merchant_id = self.merchant(merchant).id
        self.state.profiles[_key(merchant_id, profile.email)] = profile
        owned = {o.id: o for o in (*profile.recent_orders, *orders)}
        self.state.orders[_key(merchant_id, profile.email)] = tuple(owned.values())
        return self

    @property
    def tickets(self) -> list[RecordedTicket]:
        """The tickets committed so far."""
        return self.state.tickets


class FakeUnitOfWorkFactory(ports.UnitOfWorkFactory):
    """Hands out units of work on one `FakeStore`, and keeps them so a test can ask what they did."""

    def __init__(self, store: FakeStore | None = None) -> None:
        self.store = store or FakeStore()
        self.units: list[FakeUnitOfWork] = []

    def __call__(self, *, write: bool = False) -> FakeUnitOfWork:
        unit = FakeUnitOfWork(self.store)
        unit.write = write
        self.units.append(unit)
        return unit

    @property
    def committed(self) -> bool:
        """Whether any writing unit of work handed out has committed (the services end their reads with a
        commit too, which changes nothing)."""
        return any(unit.committed and unit.write for unit in self.units)


class RefusingClassifier:
    """A classifier that must not be asked: the intent was given."""

    def classify(self, text: str) -> IntentReading:
        raise AssertionError(f"the classifier ran on {text!r} although the intent was given")


@dataclass
class CountingClassifier:
    """Reads every message as `reading`, counting how often it was asked."""

    reading: IntentReading
    calls: int = 0

    def classify(self, text: str) -> IntentReading:
        self.calls += 1
        return self.reading
