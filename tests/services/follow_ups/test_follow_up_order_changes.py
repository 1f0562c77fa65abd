"""An order written again (import, sync, webhook) moves or cancels the pending follow-ups of the tickets
about it: delivered moves `relative_to: delivery` ones to the new time, cancelled or refunded in full
cancels them all with the reason; anything already claimed or sent is left alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from desk_builders import NOW
from follow_up_builders import RESOLVED_AT
from order_change_builders import OrderDesk, delivery_policy, order_desk, undelivered

from rapport.domain.follow_ups import FollowUpStatus
from rapport.domain.records import OrderRecord
from rapport.services.follow_ups.order_changes import ORDER_CANCELLED, ORDER_REFUNDED
from rapport.services.policies import save_policy
from rapport.store.unit_of_work import UnitsOfWork

LATER = NOW + timedelta(days=1)  # when the order's change arrives
DELIVERED_AT = NOW + timedelta(hours=20)


@pytest.fixture
def desk(uow_factory: UnitsOfWork) -> OrderDesk:
    return order_desk(uow_factory, policy=delivery_policy())


def delivered(at: datetime = DELIVERED_AT) -> OrderRecord:
    return undelivered(fulfillment_status="delivered", updated_at=at)


def test_a_delivery_not_known_at_the_resolution_is_counted_from_the_resolution_at_first(
    desk: OrderDesk,
) -> None:
    check_in = desk.follow_ups()["check_in"]
    assert (check_in.anchor, check_in.due_at) == ("resolution", RESOLVED_AT + timedelta(days=3))


def test_the_order_delivered_moves_the_check_in_to_three_days_after_the_delivery(desk: OrderDesk) -> None:
    counts = desk.write(delivered(), now=LATER, policy=desk.desk.tenant.policy)
    check_in = desk.follow_ups()["check_in"]
    assert (check_in.status, check_in.anchor) == (FollowUpStatus.SCHEDULED, "delivery")
    assert check_in.due_at == check_in.next_attempt_at == DELIVERED_AT + timedelta(days=3)
    assert (counts.follow_ups_moved, counts.follow_ups_cancelled) == (1, 0)


def test_the_delivery_leaves_a_follow_up_counted_from_the_resolution_where_it_was(desk: OrderDesk) -> None:
    desk.write(delivered(), now=LATER, policy=desk.desk.tenant.policy)
    assert desk.follow_ups()["satisfaction_survey"].due_at == RESOLVED_AT + timedelta(days=7)


def test_the_moved_time_leaves_the_quiet_hours_of_the_customers_time_zone(uow_factory: UnitsOfWork) -> None:
    quiet = '\nquiet_hours: {from: "21:00", to: "08:00", time_zone: "America/Los_Angeles"}\n'
    desk = order_desk(uow_factory, policy=delivery_policy(quiet))
    at = datetime(2026, 11, 21, 6, 30, tzinfo=UTC)  # + 3 days = 22:30 in Los Angeles: quiet
    desk.write(delivered(at), now=LATER, policy=desk.desk.tenant.policy)
    assert desk.follow_ups()["check_in"].due_at == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # 08:00 PST


def test_a_delivery_learnt_too_late_makes_the_check_in_due_now_not_in_the_past(desk: OrderDesk) -> None:
    much_later = DELIVERED_AT + timedelta(days=5)  # the delivery is reported long after it happened
    desk.write(delivered(), now=much_later, policy=desk.desk.tenant.policy)
    check_in = desk.follow_ups()["check_in"]
    assert (check_in.anchor, check_in.due_at) == ("delivery", much_later)


def test_an_order_delivered_again_later_does_not_move_the_check_in_again(desk: OrderDesk) -> None:
    policy = desk.desk.tenant.policy
    desk.write(delivered(), now=LATER, policy=policy)
    counts = desk.write(delivered(DELIVERED_AT + timedelta(hours=5)), now=LATER, policy=policy)
    assert desk.follow_ups()["check_in"].due_at == DELIVERED_AT + timedelta(days=3)
    assert counts.follow_ups_moved == 0


def test_a_follow_up_a_worker_has_claimed_is_not_moved(desk: OrderDesk) -> None:
    with desk.units(write=True) as uow:
        claimed = uow.follow_ups.claim_due(
            now=RESOLVED_AT + timedelta(days=7), lease_until=RESOLVED_AT + timedelta(days=8), limit=10
        )
        uow.commit()
    assert len(claimed) == 2
    counts = desk.write(delivered(), now=LATER, policy=desk.desk.tenant.policy)
    check_in = desk.follow_ups()["check_in"]
    assert (check_in.status, check_in.anchor) == (FollowUpStatus.SENDING, "resolution")
    assert counts.follow_ups_moved == 0


def test_the_order_cancelled_cancels_its_pending_follow_ups_with_the_reason(desk: OrderDesk) -> None:
    counts = desk.write(undelivered(cancelled_at=LATER, financial_status="voided"), now=LATER)
    follow_ups = desk.follow_ups().values()
    assert {(f.status, f.cancelled_reason) for f in follow_ups} == {
        (FollowUpStatus.CANCELLED, ORDER_CANCELLED)
    }
    assert counts.follow_ups_cancelled == 2


def test_the_order_refunded_in_full_cancels_its_pending_follow_ups_with_the_reason(desk: OrderDesk) -> None:
    desk.write(undelivered(financial_status="refunded", refunded=Decimal("50.00")), now=LATER)
    reasons = {f.cancelled_reason for f in desk.follow_ups().values()}
    assert reasons == {ORDER_REFUNDED}


def test_a_partial_refund_leaves_the_follow_ups_scheduled(desk: OrderDesk) -> None:
    desk.write(undelivered(financial_status="partially_refunded", refunded=Decimal("10.00")), now=LATER)
    assert {f.status for f in desk.follow_ups().values()} == {FollowUpStatus.SCHEDULED}


def test_a_sent_follow_up_stays_sent_when_the_order_is_cancelled(desk: OrderDesk) -> None:
    due = RESOLVED_AT + timedelta(days=7)
    with desk.units(write=True) as uow:
        for claimed in uow.follow_ups.claim_due(now=due, lease_until=due + timedelta(hours=1), limit=10):
            uow.follow_ups.mark_sent(follow_up_id=claimed.id, lease_until=claimed.lease_until, now=due)
        uow.commit()
    desk.write(undelivered(cancelled_at=due), now=due)
    assert {f.status for f in desk.follow_ups().values()} == {FollowUpStatus.SENT}


def test_an_order_already_cancelled_at_the_resolution_leaves_its_follow_ups_alone(
    uow_factory: UnitsOfWork,
) -> None:
    gone = undelivered(cancelled_at=NOW - timedelta(days=1))
    desk = order_desk(uow_factory, policy=delivery_policy(), order=gone)
    desk.write(undelivered(cancelled_at=NOW - timedelta(days=1), updated_at=LATER), now=LATER)
    assert {f.status for f in desk.follow_ups().values()} == {FollowUpStatus.SCHEDULED}


def test_another_orders_change_leaves_the_follow_ups_alone(desk: OrderDesk) -> None:
    desk.write(undelivered(external_id="2001", name="#2001", cancelled_at=LATER), now=LATER)
    assert {f.status for f in desk.follow_ups().values()} == {FollowUpStatus.SCHEDULED}


def test_without_a_policy_at_hand_the_delivery_is_counted_but_moves_nothing(desk: OrderDesk) -> None:
    counts = desk.write(delivered(), now=LATER)  # the merchant has no stored policy either
    assert desk.follow_ups()["check_in"].anchor == "resolution"
    # Both are counted: without the rules, which of them counts from the delivery is not known.
    assert (counts.follow_ups_moved, counts.follow_ups_not_retimed) == (0, 2)


def store_the_delivery_policy(desk: OrderDesk) -> None:
    """The check-in counted from the delivery, saved as the merchant's policy (as the workspace saves it)."""
    from order_change_builders import POLICY_TEXT

    save_policy(
        desk.units,
        merchant_id=desk.merchant_id,
        merchant_slug="birch",
        source=POLICY_TEXT,
        actor=None,
        now=NOW,
    )


def test_without_a_policy_given_the_merchants_stored_policy_times_the_move(desk: OrderDesk) -> None:
    store_the_delivery_policy(desk)
    desk.write(delivered(), now=LATER)
    assert desk.follow_ups()["check_in"].due_at == DELIVERED_AT + timedelta(days=3)


def test_the_merchants_stored_policy_wins_over_the_configured_one_given(desk: OrderDesk) -> None:
    from rapport.policy import default_policy

    store_the_delivery_policy(desk)
    desk.write(delivered(), now=LATER, policy=default_policy())  # the file's rules would leave it
    assert desk.follow_ups()["check_in"].due_at == DELIVERED_AT + timedelta(days=3)


def test_a_rule_the_policy_no_longer_has_is_left_as_it_was_scheduled(desk: OrderDesk) -> None:
    from rapport.policy import default_policy

    counts = desk.write(delivered(), now=LATER, policy=default_policy())  # its default[0] is the survey
    assert desk.follow_ups()["check_in"].anchor == "resolution"
    assert counts.follow_ups_moved == 0
