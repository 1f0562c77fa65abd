"""The first-response clock of a ticket: when it is due, how long is left, whether it was breached.

Pure: the caller passes `now`. The due time comes from the decision; while the ticket waits on the
customer (and the policy pauses the clock then) the time spent paused pushes the due time back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class SlaClock:
    """A ticket's clock as stored: the decision's due time, the first reply, and the pauses.

    `paused_seconds` is the time already spent paused (closed pauses); `paused_since` is when the
    current pause began (None: the clock runs)."""

    first_response_due: datetime
    first_responded_at: datetime | None = None
    paused_seconds: int = 0
    paused_since: datetime | None = None


def effective_due(clock: SlaClock, now: datetime) -> datetime:
    """The due time pushed back by every pause, the current one counted up to `now`."""
    paused = timedelta(seconds=max(clock.paused_seconds, 0))
    if clock.paused_since is not None and now > clock.paused_since:
        paused += now - clock.paused_since
    return clock.first_response_due + paused


def time_left(clock: SlaClock, now: datetime) -> timedelta | None:
    """How long until the first response is due (negative: overdue); None once it was answered."""
    if clock.first_responded_at is not None:
        return None
    return effective_due(clock, now) - now


def is_breached(clock: SlaClock, now: datetime) -> bool:
    """Not answered and past its effective due time, or answered after it.

    A first reply is judged against the decision's due time: a pause only ever begins with a reply
    (waiting on the customer), so no pause comes before it, and later ones cannot excuse a late answer."""
    if clock.first_responded_at is not None:
        return clock.first_responded_at > clock.first_response_due
    return now > effective_due(clock, now)


def pause(clock: SlaClock, now: datetime) -> SlaClock:
    """The clock stopped at `now` (already stopped: unchanged)."""
    if clock.paused_since is not None:
        return clock
    return SlaClock(clock.first_response_due, clock.first_responded_at, clock.paused_seconds, now)


def resume(clock: SlaClock, now: datetime) -> SlaClock:
    """The clock running again from `now`, the pause added to `paused_seconds` (running: unchanged)."""
    if clock.paused_since is None:
        return clock
    spent = max(int((now - clock.paused_since).total_seconds()), 0)
    return SlaClock(clock.first_response_due, clock.first_responded_at, clock.paused_seconds + spent, None)
