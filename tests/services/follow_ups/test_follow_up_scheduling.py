"""Resolving a ticket schedules its policy's follow-ups; the customer writing again or a reopen cancels
them; a ticket never gets the same rule's follow-up twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from desk_builders import DANA, LENA, NOW, Desk, make_desk
from follow_up_builders import RESOLVED_AT, follow_ups_of, reopened, resolved

from rapport.domain.follow_ups import FollowUpStatus
from rapport.policy import default_policy
from rapport.policy.schema import FollowUpRule, QuietHours
from rapport.store.unit_of_work import UnitsOfWork
from store_builders import StoreBuilder


@pytest.fixture
def desk(uow_factory: UnitsOfWork) -> Desk:
    return make_desk(uow_factory)


def with_follow_ups(units: UnitsOfWork, quiet: QuietHours | None = None, **rules: list[FollowUpRule]) -> Desk:
    policy = default_policy()
    policy = policy.model_copy(update={"follow_ups": {**policy.follow_ups, **rules}, "quiet_hours": quiet})
    return make_desk(units, slug="birch", policy=policy)


def test_resolving_a_guests_ticket_schedules_the_survey_a_week_after_the_resolution(desk: Desk) -> None:
    view = resolved(desk)
    [follow_up] = follow_ups_of(desk.uow_factory, desk.tenant.merchant.id, view.ticket.id)
    assert (follow_up.kind, follow_up.status, follow_up.anchor) == (
        "satisfaction_survey",
        FollowUpStatus.SCHEDULED,
        "resolution",
    )
    assert follow_up.due_at == RESOLVED_AT + timedelta(days=7)
    assert follow_up.email == LENA


def test_a_vips_ticket_gets_the_seniors_personal_check_in_the_next_day(desk: Desk) -> None:
    view = resolved(desk, email=DANA)
    [follow_up] = follow_ups_of(desk.uow_factory, desk.tenant.merchant.id, view.ticket.id)
    assert (follow_up.kind, follow_up.due_at) == ("personal_check_in", RESOLVED_AT + timedelta(days=1))


def test_the_customer_writing_again_cancels_their_pending_follow_ups(desk: Desk) -> None:
    view = resolved(desk)
    desk.post(body="Actually the replacement is chipped too.", at=timedelta(days=2))
    [follow_up] = follow_ups_of(desk.uow_factory, desk.tenant.merchant.id, view.ticket.id)
    assert follow_up.status is FollowUpStatus.CANCELLED
    assert follow_up.cancelled_reason == "the customer wrote again"


def test_another_customer_writing_leaves_the_follow_ups_alone(desk: Desk) -> None:
    view = resolved(desk)
    desk.post(email="sam.ortiz@example.com", at=timedelta(days=2))
    [follow_up] = follow_ups_of(desk.uow_factory, desk.tenant.merchant.id, view.ticket.id)
    assert follow_up.status is FollowUpStatus.SCHEDULED


def test_reopening_cancels_and_resolving_again_schedules_the_same_row_once(desk: Desk) -> None:
    from rapport.services.desk.lifecycle import claim, resolve

    view = resolved(desk)
    reopened(desk, view.ticket.id, at=RESOLVED_AT + timedelta(hours=2))
    [cancelled] = follow_ups_of(desk.uow_factory, desk.tenant.merchant.id, view.ticket.id)
    assert cancelled.status is FollowUpStatus.CANCELLED
    again = RESOLVED_AT + timedelta(days=1)
    claim(desk.uow_factory, tenant=desk.tenant, actor=desk.agent, ticket_id=view.ticket.id, now=again)
    resolve(desk.uow_factory, tenant=desk.tenant, actor=desk.agent, ticket_id=view.ticket.id, now=again)
    [follow_up] = follow_ups_of(desk.uow_factory, desk.tenant.merchant.id, view.ticket.id)
    assert (follow_up.id, follow_up.status) == (cancelled.id, FollowUpStatus.SCHEDULED)
    assert follow_up.due_at == again + timedelta(days=7)


def test_a_rule_relative_to_the_next_billing_counts_from_the_subscriptions_billing_date(
    uow_factory: UnitsOfWork,
) -> None:
    rule = FollowUpRule(after=timedelta(days=1), kind="check_in", relative_to="next_billing")
    desk = with_follow_ups(uow_factory, subscriber=[rule])
    store = StoreBuilder(uow_factory, now=NOW, merchant="birch")
    store.subscription(store.customer(email=LENA), bills_in_days=10)
    view = resolved(desk)
    [follow_up] = follow_ups_of(uow_factory, desk.tenant.merchant.id, view.ticket.id)
    assert (follow_up.anchor, follow_up.due_at) == ("next_billing", NOW + timedelta(days=11))


def test_a_rule_relative_to_a_delivery_not_known_yet_counts_from_the_resolution(
    uow_factory: UnitsOfWork,
) -> None:
    rule = FollowUpRule(after=timedelta(days=3), kind="check_in", relative_to="delivery")
    desk = with_follow_ups(uow_factory, default=[rule])
    view = resolved(desk)
    [follow_up] = follow_ups_of(uow_factory, desk.tenant.merchant.id, view.ticket.id)
    assert (follow_up.anchor, follow_up.due_at) == ("resolution", RESOLVED_AT + timedelta(days=3))


def test_a_follow_up_due_in_the_customers_night_moves_to_the_end_of_the_quiet_hours(
    uow_factory: UnitsOfWork,
) -> None:
    quiet = QuietHours.model_validate({"from": "21:00", "to": "08:00", "time_zone": "America/Los_Angeles"})
    desk = with_follow_ups(uow_factory, quiet=quiet)
    view = resolved(desk)  # 13:00 UTC + 7 days = 05:00 in Los Angeles: inside the quiet hours
    [follow_up] = follow_ups_of(uow_factory, desk.tenant.merchant.id, view.ticket.id)
    assert follow_up.due_at == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # 08:00 PST
