"""Test support: a throwaway PostgreSQL schema per test (so parallel workers never collide), data builders.

Imported by the tests as `store_builders` (tests/ is on sys.path, as for `engine_builders`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from rapport.domain.desk import Actor, Role
from rapport.domain.records import (
    ContactRecord,
    CustomerRecord,
    LineItemRecord,
    OrderRecord,
    SubscriptionRecord,
)
from rapport.store.unit_of_work import UnitOfWork


def with_search_path(url: str, schema: str) -> str:
    """`url` with every connection's search_path set to `schema` (PostgreSQL)."""
    parsed = make_url(url)
    return parsed.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


@contextmanager
def temporary_schema(url: str, *, prefix: str = "rapport_test") -> Iterator[str]:
    """A new, empty schema on the PostgreSQL server at `url`; yields a URL that uses it, drops it after."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield with_search_path(url, schema)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def sqlite_url(path: str) -> str:
    """The URL of an SQLite file."""
    return f"sqlite:///{path}"


class StoreBuilder:
    """Writes readable test data through the repositories; times are relative to `now`."""

    def __init__(
        self, uow_factory: Callable[[], UnitOfWork], *, now: datetime, merchant: str = "acme"
    ) -> None:
        self.uow_factory = uow_factory
        self.now = now
        with uow_factory() as uow:
            self.merchant_id = uow.merchants.get_or_create(merchant)
            uow.commit()
        self._serial = 0

    def _next(self, prefix: str) -> str:
        self._serial += 1
        return f"{prefix}-{self._serial}"

    def person(self, role: Role, email: str | None = None) -> Actor:
        """A user of the merchant's desk (no usable password: tests act as them directly)."""
        email = email or f"{role.value}@acme.test"
        with self.uow_factory() as uow:
            user = uow.users.add(
                merchant_id=self.merchant_id, email=email, role=role, password_hash="-", now=self.now
            )
            uow.commit()
        return Actor(merchant_id=self.merchant_id, role=role, user_id=user.id, label=email)

    def customer(
        self, *, email: str = "dana.lee@example.com", since_days: int = 400, **fields: object
    ) -> int:
        record = CustomerRecord(
            external_id=str(fields.pop("external_id", self._next("c"))),
            email=email,
            created_at=self.now - timedelta(days=since_days),
            **fields,  # type: ignore[arg-type]
        )
        with self.uow_factory() as uow:
            outcome = uow.customers.upsert_many(merchant_id=self.merchant_id, records=[record])
            uow.commit()
        return outcome.ids[record.external_id]

    def order(
        self,
        customer_id: int | None,
        *,
        days_ago: float = 10,
        total: str = "50.00",
        items: tuple[str, ...] = ("Stoneware bowl set",),
        **fields: object,
    ) -> str:
        external_id = str(fields.pop("external_id", self._next("o").removeprefix("o-")))
        record = OrderRecord(
            external_id=external_id,
            customer_id=customer_id,
            name=str(fields.pop("name", f"#{external_id}")),
            created_at=self.now - timedelta(days=days_ago),
            total=Decimal(total),
            currency="USD",
            line_items=tuple(LineItemRecord(title=t, price=Decimal(total)) for t in items),
            **fields,  # type: ignore[arg-type]
        )
        with self.uow_factory() as uow:
            uow.orders.upsert_many(merchant_id=self.merchant_id, records=[record])
            uow.commit()
        return external_id

    def subscription(self, customer_id: int, *, status: str = "active", bills_in_days: float = 10) -> None:
        record = SubscriptionRecord(
            external_id=self._next("s"),
            customer_id=customer_id,
            status=status,
            currency="USD",
            product="Monthly ceramics club",
            price=Decimal("29.00"),
            next_billing_at=self.now + timedelta(days=bills_in_days),
        )
        with self.uow_factory() as uow:
            uow.subscriptions.upsert_many(merchant_id=self.merchant_id, records=[record])
            uow.commit()

    def contact(
        self, customer_id: int, *, ago: timedelta, offer: str | None = None, amount: str | None = None
    ) -> None:
        record = ContactRecord(
            external_id=self._next("k"),
            customer_id=customer_id,
            created_at=self.now - ago,
            intent="damaged_item",
            outcome="resolved",
            granted_offer=offer,
            granted_amount=None if amount is None else Decimal(amount),
            granted_currency=None if amount is None else "USD",
        )
        with self.uow_factory() as uow:
            uow.contacts.upsert_many(merchant_id=self.merchant_id, records=[record])
            uow.commit()
