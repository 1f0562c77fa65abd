"""When a follow-up is due, and when a failed one is tried again: pure arithmetic on times.

A follow-up counts its `after` from an anchor (the resolution, the delivery of the order, the
subscription's next billing), then moves out of the merchant's quiet hours in the customer's local
time: a check-in due at 23:10 with quiet hours 21:00-08:00 goes at 08:00 the next morning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rapport.policy.schema import FollowUpRule, QuietHours

RESOLUTION = "resolution"
DELIVERY = "delivery"
NEXT_BILLING = "next_billing"

RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class Anchors:
    """The moments a follow-up may count from; None when the store does not know them."""

    resolved_at: datetime
    delivered_at: datetime | None = None
    next_billing_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Timing:
    anchor: str  # what the due time counts from (the rule's, or `resolution` when that is unknown)
    due_at: datetime  # UTC


def due_time(rule: FollowUpRule, anchors: Anchors, quiet: QuietHours | None, time_zone: str) -> Timing:
    """The rule's due time from the first anchor it may use, out of the quiet hours of `time_zone`.

    A delivery or billing date before the resolution is not an anchor (the follow-up would be due
    at once for an old event): the resolution is used instead."""
    anchor, at = RESOLUTION, anchors.resolved_at
    wanted = {DELIVERY: anchors.delivered_at, NEXT_BILLING: anchors.next_billing_at}.get(rule.relative_to)
    if wanted is not None and wanted >= anchors.resolved_at:
        anchor, at = rule.relative_to, wanted
    return Timing(anchor=anchor, due_at=outside_quiet_hours(at + rule.after, quiet, time_zone))


def outside_quiet_hours(when: datetime, quiet: QuietHours | None, time_zone: str) -> datetime:
    """`when` itself, or the end of the quiet hours it falls in (local `time_zone`), in UTC."""
    if quiet is None:
        return when.astimezone(UTC)
    zone = ZoneInfo(time_zone)
    local = when.astimezone(zone)
    start, end = _clock(quiet.start), _clock(quiet.end)
    now = local.time()
    if start < end:  # quiet within one day, e.g. 12:00-14:00
        inside, end_day = start <= now < end, local.date()
    elif now >= start:  # quiet across midnight (21:00-08:00), evening part
        inside, end_day = True, local.date() + timedelta(days=1)
    else:  # the morning part
        inside, end_day = now < end, local.date()
    if not inside:
        return when.astimezone(UTC)
    # Wall-clock end in the zone (a DST gap moves it forward by the zone's rules).
    return datetime.combine(end_day, end, tzinfo=zone).astimezone(UTC)


def retry_delay(attempts: int, *, base: timedelta = RETRY_BASE, cap: timedelta = RETRY_CAP) -> timedelta:
    """The wait before attempt `attempts + 1`: base, 2x, 4x, ... up to `cap`."""
    if attempts < 1:
        return base
    factor: int = 2 ** min(attempts - 1, 30)
    return min(cap, base * factor)


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))
