"""What the store keeps of a desk ticket, as plain values: the ticket's row, its conversation, its history.

The store returns these; the desk services read and change them (`rapport.services.desk`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from rapport.domain.decision import EscalationLevel
from rapport.domain.desk import TicketStatus


@dataclass(frozen=True, slots=True)
class DeskTicket:
    """A ticket where it is in its lifecycle. `order_id`/`customer_id` are the store's row ids;
    `home_queue` is the queue the decision routed it to (escalations move `queue`, not this)."""

    id: int
    merchant_id: int
    email: str
    customer_name: str | None
    subject: str | None
    channel: str
    intent: str
    status: TicketStatus
    queue: str
    home_queue: str
    segment: str
    priority: int
    escalation_level: EscalationLevel
    claim_level: EscalationLevel
    assignee_id: int | None
    assignee_label: str | None
    received_at: datetime
    first_response_due: datetime
    first_responded_at: datetime | None
    sla_paused_since: datetime | None
    sla_paused_seconds: int
    claimed_at: datetime | None
    resolved_at: datetime | None
    updated_at: datetime | None
    idempotency_key: str | None
    customer_id: int | None
    order_id: int | None
    order_name: str | None
    order_total: Decimal | None
    order_currency: str | None


@dataclass(frozen=True, slots=True)
class DeskMessage:
    """One message of the conversation: `author` customer, agent or draft (the drafted reply kept
    with the ticket, with its guardrail result in `guardrails`)."""

    id: int
    author: str
    user_id: int | None
    body: str
    created_at: datetime
    draft_source: str | None = None
    guardrails: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to be added to a ticket: a `DeskMessage` before the store gave it its id."""

    author: str
    body: str
    created_at: datetime
    user_id: int | None = None
    draft_source: str | None = None
    guardrails: dict[str, Any] | None = None

    def stored(self, id: int) -> DeskMessage:  # noqa: A002 - the field it fills is `id`
        return DeskMessage(
            id=id,
            author=self.author,
            user_id=self.user_id,
            body=self.body,
            created_at=self.created_at,
            draft_source=self.draft_source,
            guardrails=self.guardrails,
        )


@dataclass(frozen=True, slots=True)
class DeskEvent:
    """One change of a ticket: what, from which state to which, who and when."""

    id: int
    at: datetime
    kind: str
    from_status: TicketStatus | None
    to_status: TicketStatus | None
    actor_user_id: int | None
    actor_key_id: int | None
    actor_label: str
    detail: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class QueueCount:
    """How many of a queue's tickets are in one status, and the earliest first-response due among
    those not yet answered."""

    queue: str
    status: TicketStatus
    count: int
    oldest_due: datetime | None
