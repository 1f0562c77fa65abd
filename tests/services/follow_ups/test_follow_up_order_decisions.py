"""What an order's change decides for each pending follow-up, on an in-memory follow-ups repository:
which change ends them, which moves them, and which rule a row's key names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rapport.domain.follow_ups import FollowUpStatus
from rapport.domain.policy_version import PolicyVersionInfo, StoredPolicy
from rapport.domain.records import OrderRecord
from rapport.policy import default_policy, default_policy_text
from rapport.policy.schema import FollowUpRule, Policy
from rapport.services.follow_ups.order_changes import (
    ORDER_CANCELLED,
    ORDER_REFUNDED,
    follow_orders,
    stored_policy,
)
from rapport.services.follow_ups.scheduling import rule_of
from rapport.store.repositories.follow_ups import OrderFollowUp

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
RESOLVED = NOW - timedelta(days=1)
CHECK_IN = FollowUpRule(after=timedelta(days=3), kind="check_in", relative_to="delivery")


def policy() -> Policy:
    return default_policy().model_copy(update={"follow_ups": {"default": [CHECK_IN]}, "quiet_hours": None})


def pending(status: FollowUpStatus = FollowUpStatus.SCHEDULED, **fields: object) -> OrderFollowUp:
    row = OrderFollowUp(
        id=1,
        rule_key="default[0]:check_in",
        status=status,
        anchor="resolution",
        due_at=RESOLVED + timedelta(days=3),
        resolved_at=RESOLVED,
        order_external_id="1042",
        fulfillment_status="unfulfilled",
        financial_status="paid",
        cancelled_at=None,
    )
    return replace(row, **fields)  # type: ignore[arg-type]


def order(**fields: object) -> OrderRecord:
    record = OrderRecord(
        external_id="1042",
        customer_id=7,
        name="#1042",
        created_at=NOW - timedelta(days=3),
        total=Decimal("50.00"),
        currency="USD",
    )
    return replace(record, **fields)  # type: ignore[arg-type]


@dataclass
class FakeFollowUps:
    rows: list[OrderFollowUp]
    moved: dict[int, tuple[str, datetime]] = field(default_factory=dict)
    cancelled: dict[int, str] = field(default_factory=dict)
    reads: int = 0

    def pending_for_orders(
        self, *, merchant_id: int, order_external_ids: Sequence[str]
    ) -> list[OrderFollowUp]:
        self.reads += 1
        return [r for r in self.rows if r.order_external_id in order_external_ids]

    def move(self, *, follow_up_id: int, anchor: str, due_at: datetime, now: datetime) -> bool:
        self.moved[follow_up_id] = (anchor, due_at)
        return True

    def cancel_ids(
        self, *, merchant_id: int, follow_up_ids: Sequence[int], reason: str, now: datetime
    ) -> int:
        self.cancelled.update(dict.fromkeys(follow_up_ids, reason))
        return len(follow_up_ids)


@dataclass
class FakeUnitOfWork:
    follow_ups: FakeFollowUps


def run(rows: list[OrderFollowUp], *orders: OrderRecord) -> FakeFollowUps:
    store = FakeFollowUps(rows)
    follow_orders(FakeUnitOfWork(store), merchant_id=1, orders=orders, now=NOW, policy=policy())
    return store


def test_the_last_record_of_an_order_in_the_batch_is_the_one_that_counts() -> None:
    store = run([pending()], order(cancelled_at=NOW), order())
    assert (store.cancelled, store.moved) == ({}, {})


def test_refunds_reaching_the_total_end_the_follow_ups_even_before_the_status_says_refunded() -> None:
    store = run([pending()], order(refunded=Decimal("50.00")))
    assert store.cancelled == {1: ORDER_REFUNDED}


def test_an_order_refunded_before_is_not_a_new_refund() -> None:
    store = run([pending(financial_status="refunded")], order(financial_status="refunded"))
    assert store.cancelled == {}


def test_a_cancellation_comes_before_a_delivery_in_the_same_change() -> None:
    store = run([pending()], order(fulfillment_status="delivered", updated_at=NOW, cancelled_at=NOW))
    assert (store.cancelled, store.moved) == ({1: ORDER_CANCELLED}, {})


def test_a_failed_follow_up_is_cancelled_with_its_order_but_never_moved() -> None:
    failed = pending(FollowUpStatus.FAILED)
    assert run([failed], order(fulfillment_status="delivered", updated_at=NOW)).moved == {}
    assert run([failed], order(cancelled_at=NOW)).cancelled == {1: ORDER_CANCELLED}


def test_a_delivery_without_a_date_counts_from_the_moment_it_is_written() -> None:
    store = run([pending()], order(fulfillment_status="Delivered"))
    assert store.moved == {1: ("delivery", NOW + timedelta(days=3))}


def test_a_batch_without_pending_follow_ups_reads_once_and_writes_nothing() -> None:
    store = run([], *(order(external_id=str(n)) for n in range(500)))
    assert (store.reads, store.moved, store.cancelled) == (1, {}, {})


def test_a_rule_key_names_its_group_place_and_kind() -> None:
    rules = policy().model_copy(update={"follow_ups": {"vip": [CHECK_IN, replace_kind("survey")]}})
    assert rule_of(rules, "vip[1]:survey") == replace_kind("survey")
    assert rule_of(rules, "vip[0]:check_in") == CHECK_IN


def test_a_rule_key_the_policy_no_longer_matches_names_no_rule() -> None:
    rules = policy()
    assert [
        rule_of(rules, key) for key in ("default[1]:check_in", "default[0]:survey", "vip[0]:x", "junk")
    ] == [
        None,
        None,
        None,
        None,
    ]


def replace_kind(kind: str) -> FollowUpRule:
    return CHECK_IN.model_copy(update={"kind": kind})


@dataclass
class StoredVersions:
    source: str

    def current(self, *, merchant_id: int) -> StoredPolicy:
        # A fresh object on every read, as the store returns.
        return StoredPolicy(PolicyVersionInfo(3, "cli", None, NOW), "".join(self.source))


@dataclass
class PolicyUnitOfWork:
    policies: StoredVersions


def test_a_stored_policy_version_is_parsed_once_not_on_every_batch() -> None:
    uow = PolicyUnitOfWork(StoredVersions(default_policy_text()))
    first, again = stored_policy(uow, 41), stored_policy(uow, 41)
    assert first is not None
    assert again is first


def test_without_stored_policies_there_is_no_policy_to_retime_by() -> None:
    assert stored_policy(object(), 41) is None
