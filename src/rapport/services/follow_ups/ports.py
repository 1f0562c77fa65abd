"""What the follow-up services need from the outside world: a way to deliver one message.

The scheduler and the job functions (this package) decide *what* is sent and *when*; a `FollowUpSender`
(an adapter: SMTP, a file outbox, a signed webhook) only carries one message and says whether a failure
is worth retrying.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


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


class FollowUpSender(Protocol):
    def send(self, message: OutboundMessage) -> None:
        """Deliver `message` or raise `DeliveryFailed`."""
