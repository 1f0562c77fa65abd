"""What the follow-up services need from the outside world: a way to deliver one message.

The scheduler and the job functions (this package) decide *what* is sent and *when*; a `FollowUpSender`
(an adapter: SMTP, a file outbox, a signed webhook) only carries one message and says whether a failure
is worth retrying.
"""

from __future__ import annotations

from typing import Protocol

# The message and its failure are domain values: the delivery adapters (mail, connectors) use them too.
from rapport.domain.follow_ups import DeliveryFailed, OutboundMessage

__all__ = ["DeliveryFailed", "FollowUpSender", "OutboundMessage"]


class FollowUpSender(Protocol):
    def send(self, message: OutboundMessage) -> None:
        """Deliver `message` or raise `DeliveryFailed`."""
