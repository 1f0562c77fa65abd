"""A profile is two statements (one for a guest), whatever the customer's history: no query per order."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, create_engine, event

from rapport.store.repositories.profiles import _customer_statement
from store_builders import StoreBuilder


@contextmanager
def statements_sent(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements the engine sends inside the block."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, _params: Any, _ctx: Any, _many: bool) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def statements_of_profile(engine: Engine, store: StoreBuilder, email: str) -> list[str]:
    with store.uow_factory() as uow:
        uow.profiles.session.connection()  # the transaction's BEGIN is sent before counting starts
        with statements_sent(engine) as sent:
            uow.profiles.get_profile(merchant_id=store.merchant_id, email=email, now=store.now)
    return sent


def a_customer_with_a_long_history(store: StoreBuilder) -> None:
    dana = store.customer(email="dana.lee@example.com", tags=("vip", "wholesale"))
    for days_ago in range(1, 400, 40):
        store.order(dana, days_ago=days_ago, items=("Bowl", "Mug", "Plate"))
    store.subscription(dana)
    store.contact(dana, ago=timedelta(days=3), offer="refund", amount="12.00")
    store.contact(dana, ago=timedelta(days=30), offer="store_credit", amount="5.00")


def test_a_known_customers_profile_takes_at_most_two_statements(engine: Engine, store: StoreBuilder) -> None:
    a_customer_with_a_long_history(store)
    sent = statements_of_profile(engine, store, "Dana.Lee@example.com")
    assert len(sent) <= 2, sent


def test_a_guests_profile_takes_one_statement(engine: Engine, store: StoreBuilder) -> None:
    a_customer_with_a_long_history(store)
    assert len(statements_of_profile(engine, store, "nobody@example.com")) == 1


def test_the_customer_statement_is_short_enough_for_psycopg_to_prepare_it() -> None:
    # psycopg prepares (and caches the conversion of) statements of at most 4,096 characters and 50
    # parameters only; a longer one is planned by PostgreSQL on every call (measured: ~6 ms of planning).
    psycopg = create_engine("postgresql+psycopg://nobody@localhost/none").dialect  # never connects
    sql = _customer_statement(pg=True).compile(dialect=psycopg)
    assert (len(str(sql)) <= 4096, len(sql.params) <= 50) == (True, True), (len(str(sql)), len(sql.params))
