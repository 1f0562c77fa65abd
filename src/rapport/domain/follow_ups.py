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


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """One drafted follow-up, ready to go. `key` is stable per follow-up: a receiver can drop repeats."""

    key: str  # e.g. "rapport-follow-up-<merchant>-<id>"; also the e-mail's Message-ID local part
    merchant_id: int
    ticket_id: int
    kind: str  # check_in, personal_check_in, satisfaction_survey, ...
    channel: str  # email | webhook
    to_address: str
    to_name: str | None
    subject: str
    body: str


class DeliveryFailed(Exception):
    """The message did not go out. `retryable`: a timeout or a 4xx SMTP reply; not: a refused address."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
