"""Follow-ups as records: what is scheduled, what a worker claims, where each stands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class FollowUpStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"  # claimed by a worker; its lease is `next_attempt_at`
    SENT = "sent"
    FAILED = "failed"  # the last attempt failed; tried again at `next_attempt_at`
    DEAD = "dead"  # out of attempts, or a failure not worth retrying: an admin may retry it
    CANCELLED = "cancelled"


CLAIMABLE = (FollowUpStatus.SCHEDULED, FollowUpStatus.FAILED, FollowUpStatus.SENDING)
PENDING = (FollowUpStatus.SCHEDULED, FollowUpStatus.FAILED)  # what a new message from the customer cancels


@dataclass(frozen=True, slots=True)
class FollowUpPlan:
    """One follow-up to store for a resolved ticket (`rule_key`: the policy rule it comes from)."""

    merchant_id: int
    ticket_id: int
    customer_id: int | None
    email: str
    rule_key: str
    kind: str
    channel: str
    sender: str
    anchor: str
    due_at: datetime


@dataclass(frozen=True, slots=True)
class ClaimedFollowUp:
    """A follow-up a worker holds until `lease_until`, with what its wording needs."""

    id: int
    merchant_id: int
    ticket_id: int
    email: str
    kind: str
    channel: str
    sender: str
    attempts: int  # including this one
    lease_until: datetime
    segment: str
    first_name: str | None
    customer_name: str | None
    ticket_subject: str | None
    intent: str | None


@dataclass(frozen=True, slots=True)
class FollowUpEntry:
    """A follow-up as an admin lists it."""

    id: int
    merchant_id: int
    ticket_id: int
    email: str
    kind: str
    channel: str
    anchor: str
    status: FollowUpStatus
    due_at: datetime
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    sent_at: datetime | None
    cancelled_reason: str | None


@dataclass(frozen=True, slots=True)
class AnchorFacts:
    """What the store knows of the moments a follow-up may count from."""

    delivered_at: datetime | None
    next_billing_at: datetime | None
