"""JSON Lines parsed in a forked child import exactly as parsed in this process; on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from test_importing import customer, lines, order, profile, run, write

from rapport.domain.errors import InvalidInput, StoreUnavailable
from rapport.services.importing import forked, prepared
from rapport.services.importing.lines import parse_line
from rapport.services.importing.prepared import Wire, customer_of, prepare, record_of
from rapport.store.database import session_factory
from rapport.store.unit_of_work import UnitOfWork

needs_fork = pytest.mark.skipif(not forked.can_fork(), reason="needs fork() and two cores")

MIXED = lines(
    order(1, "c-late"),  # its customer comes later in the file
    customer("c-1", "a@example.com", created_at="2024-02-01T10:00:00-05:00", tags=["vip"]),
    "not json at all",
    order(2, "c-1", total="12.5", updated_at="2026-11-02T08:30:00.123456"),
    order(3, "c-1", total="oops"),
    {"kind": "subscription", "id": "s-1", "customer_id": "c-1", "status": "active", "price": "1E+1"},
    {
        "kind": "contact",
        "id": "k-1",
        "customer_id": "c-1",
        "created_at": "2026-09-01T10:00:00+02:00",
        "intent": "late_delivery",
        "granted": {"offer": "store_credit", "amount": "0"},
    },  # fmt: skip
    order(4, "c-404"),
    customer("c-late", "late@example.com"),
)


def counts(report: object) -> dict[str, tuple[int, int]]:
    return {kind: (c.inserted, c.updated) for kind, c in report.counts.items()}  # type: ignore[attr-defined]


@needs_fork
def test_a_file_parsed_in_a_child_imports_as_one_parsed_here(
    uow_factory: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    path = write(tmp_path, MIXED)
    here = run(uow_factory, path, merchant="here", parse_in_child=False, batch_size=3)
    there = run(uow_factory, path, merchant="there", parse_in_child=True, batch_size=3)
    assert [n for n, _ in there.errors] == [3, 5, 8]
    assert (there.errors, counts(there), there.lines) == (here.errors, counts(here), here.lines)
    card = profile(uow_factory, "a@example.com", "there")
    assert card == profile(uow_factory, "a@example.com", "here")
    assert (card.tags, card.orders_count, str(card.total_spent)) == (("vip",), 1, "12.50")
    assert (card.has_active_subscription, card.contacts_last_90d) == (True, 1)
    assert profile(uow_factory, "late@example.com", "there").orders_count == 1


@needs_fork
def test_a_reimport_parsed_in_a_child_counts_every_record_as_updated(
    uow_factory: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    path = write(tmp_path, lines(customer("c-1", "a@example.com"), order(1, "c-1"), order(2, "c-1")))
    run(uow_factory, path, parse_in_child=True)
    again = run(uow_factory, path, parse_in_child=True)
    assert counts(again)["customer"] == (0, 1)
    assert counts(again)["order"] == (0, 2)


@needs_fork
def test_progress_from_a_child_reaches_the_whole_file(
    uow_factory: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    path = write(tmp_path, lines(customer("c-1", "a@example.com"), *(order(i, "c-1") for i in range(7))))
    seen: list[int] = []
    run(uow_factory, path, progress=seen.append, batch_size=3, parse_in_child=True)
    assert seen == sorted(seen)
    assert len(seen) > 2
    assert seen[-1] == path.stat().st_size


@needs_fork
def test_a_failure_in_the_parsing_child_is_raised_here_and_nothing_after_it_is_written(
    uow_factory: Callable[[], UnitOfWork], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(raw: bytes | str) -> object:
        if b"c-2" in (raw if isinstance(raw, bytes) else raw.encode()):
            raise InvalidInput("the disk went away")
        return parse_line(raw)

    monkeypatch.setattr(prepared, "parse_line", broken)  # the forked child inherits the patch
    path = write(tmp_path, lines(customer("c-1", "a@example.com"), customer("c-2", "b@example.com")))
    with pytest.raises(InvalidInput, match="the disk went away"):
        run(uow_factory, path, batch_size=1, parse_in_child=True)
    assert profile(uow_factory, "a@example.com").is_known  # the batch before it was committed
    assert not profile(uow_factory, "b@example.com").is_known


@needs_fork
def test_the_parsing_child_runs_ahead_of_a_slow_writer(tmp_path: Path, engine: Engine) -> None:
    # 20 chunks of 1,000 lines, some 2 MB pickled: more than the pipe holds, less than the queue.
    path = write(tmp_path, lines(*(customer(f"c-{i}", f"p{i}@example.com") for i in range(20_000))))
    finished_early: list[bool] = []

    def slow_writer(done: int) -> None:
        if not finished_early:  # after the first batch: wait for the child to have parsed everything
            deadline = time.monotonic() + 20
            while multiprocessing.active_children() and time.monotonic() < deadline:
                time.sleep(0.05)
            finished_early.append(not multiprocessing.active_children())

    sessions = session_factory(engine)
    report = run(lambda **_: UnitOfWork(sessions), path, progress=slow_writer, parse_in_child=True)
    assert finished_early == [True]
    assert report.counts["customer"].inserted == 20_000


class FailingOnThirdCommit(UnitOfWork):
    """The real unit of work, except that the third commit of the import (its second batch) fails."""

    commits = 0

    def commit(self) -> None:
        FailingOnThirdCommit.commits += 1
        if FailingOnThirdCommit.commits == 3:
            raise StoreUnavailable("the disk is full")
        super().commit()


@needs_fork
def test_a_store_failure_stops_the_import_and_its_parsing_child(engine: Engine, tmp_path: Path) -> None:
    sessions = session_factory(engine)
    FailingOnThirdCommit.commits = 0
    path = write(tmp_path, lines(*(customer(f"c-{i}", f"p{i}@example.com") for i in range(5_000))))
    with pytest.raises(StoreUnavailable, match="the disk is full"):
        run(lambda **_: FailingOnThirdCommit(sessions), path, batch_size=1, parse_in_child=True)
    assert multiprocessing.active_children() == []  # the child was stopped and reaped
    factory = lambda **_: UnitOfWork(sessions)  # noqa: E731 - the plain unit of work, to look
    assert profile(factory, "p0@example.com").is_known  # type: ignore[arg-type]
    assert not profile(factory, "p1@example.com").is_known  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "when",
    [
        datetime(2026, 11, 2, 8, 30, 0, 123456),  # naive: the store takes it as UTC
        datetime(2024, 2, 29, 23, 59, 59, tzinfo=timezone(timedelta(hours=-4, minutes=-30))),
        datetime(1, 1, 1, tzinfo=UTC),
    ],
)
def test_times_cross_the_pipe_unchanged(when: datetime) -> None:
    wire = Wire(portable=True)
    sent = wire.send_time(when)
    assert isinstance(sent, str)
    back = wire.time(sent)
    assert (back, back.utcoffset()) == (when, when.utcoffset())


@pytest.mark.parametrize("amount", ["0", "0.00", "12.5", "1E+1", "99999999.99"])
def test_amounts_cross_the_pipe_unchanged(amount: str) -> None:
    wire = Wire(portable=True)
    back = wire.money(wire.send_money(Decimal(amount)))
    assert (str(back), back) == (amount, Decimal(amount))


@pytest.mark.parametrize("portable", [True, False])
def test_a_prepared_order_becomes_the_record_the_line_describes(portable: bool) -> None:
    wire = Wire(portable=portable)
    raw = '{"kind": "order", "id": 7, "customer_id": "c-1", "created_at": "2026-11-01T10:00:00+01:00", '
    raw += '"total": "20.00", "line_items": [{"title": " Mug ", "price": "20.00", "sku": "M-1"}]}'
    line = parse_line(raw)
    assert not isinstance(line, str)
    prepared_line = prepare(5, line, "EUR", wire)
    assert not isinstance(prepared_line, str)
    number, kind, ref, fields = prepared_line
    record = record_of(kind, fields, 42, wire)
    assert (number, kind, ref) == (5, "order", "c-1")
    assert (record.customer_id, record.external_id, record.name, record.currency) == (42, "7", "#7", "EUR")  # type: ignore[union-attr]
    assert record.created_at == datetime(2026, 11, 1, 9, 0, tzinfo=UTC)  # type: ignore[union-attr]
    [item] = record.line_items  # type: ignore[union-attr]
    assert (item.title, item.quantity, item.price, item.sku) == ("Mug", 1, Decimal("20.00"), "M-1")


def test_a_prepared_customer_keeps_every_field() -> None:
    wire = Wire(portable=True)
    raw = '{"kind": "customer", "id": "c-1", "email": " Ann@Example.com ", "tags": ["a", "b"], '
    raw += '"loyalty_points": 5, "accepts_marketing": true, "updated_at": "2026-01-01T00:00:00+00:00"}'
    line = parse_line(raw)
    assert not isinstance(line, str)
    prepared_line = prepare(1, line, "USD", wire)
    assert not isinstance(prepared_line, str)
    record = customer_of(prepared_line[3], wire)
    assert (record.external_id, record.email, record.tags) == ("c-1", "ann@example.com", ("a", "b"))
    assert (record.loyalty_points, record.accepts_marketing, record.created_at) == (5, True, None)
    assert record.updated_at == datetime(2026, 1, 1, tzinfo=UTC)


def test_a_value_the_store_cannot_hold_is_reported_before_the_line_is_prepared() -> None:
    raw = '{"kind": "order", "id": 1, "customer_id": "c-1", "created_at": "2026-11-01T10:00:00Z", '
    raw += '"total": "1.001"}'
    line = parse_line(raw)
    assert not isinstance(line, str)
    problem = prepare(1, line, "USD", Wire(portable=True))
    assert isinstance(problem, str)
    assert problem.startswith("order: total:")
