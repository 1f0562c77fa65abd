"""The support desk's vocabulary: who acts (roles, actors), the ticket's lifecycle, who may claim what.

Pure values and rules; the services apply them inside a transaction and the store records every change
as an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rapport.domain.decision import EscalationLevel


class Role(StrEnum):
    """What a person may do at a merchant: agents answer, seniors take escalations, admins run the desk."""

    AGENT = "agent"
    SENIOR = "senior"
    ADMIN = "admin"


class TicketStatus(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    ESCALATED = "escalated"
    RESOLVED = "resolved"


# Which states each action may start from; the action's target state is in `TARGET`.
ALLOWED_FROM: dict[str, frozenset[TicketStatus]] = {
    "claim": frozenset({TicketStatus.OPEN, TicketStatus.ESCALATED}),
    "reply": frozenset({TicketStatus.CLAIMED}),
    "resolve": frozenset({TicketStatus.CLAIMED, TicketStatus.WAITING_ON_CUSTOMER}),
    "escalate": frozenset({TicketStatus.OPEN, TicketStatus.CLAIMED, TicketStatus.WAITING_ON_CUSTOMER}),
    "reopen": frozenset({TicketStatus.RESOLVED}),
    # The customer writes again: a waiting ticket comes back to its agent; a resolved one reopens.
    "customer_wrote": frozenset(
        {TicketStatus.OPEN, TicketStatus.CLAIMED, TicketStatus.WAITING_ON_CUSTOMER, TicketStatus.ESCALATED}
    ),
}
TARGET: dict[str, TicketStatus | None] = {
    "claim": TicketStatus.CLAIMED,
    "reply": None,  # claimed, or waiting_on_customer when the reply asks the customer something
    "resolve": TicketStatus.RESOLVED,
    "escalate": TicketStatus.ESCALATED,
    "reopen": TicketStatus.OPEN,
    "customer_wrote": None,  # waiting_on_customer -> claimed; other states stay
}

# The queue an escalated ticket waits in, per level. Agent-level escalations stay in their own queue.
ESCALATION_QUEUES: dict[EscalationLevel, str] = {
    EscalationLevel.SENIOR: "senior",
    EscalationLevel.MANAGER: "manager",
}
RESERVED_QUEUE_NAMES = frozenset(ESCALATION_QUEUES.values())

# Who may take a ticket escalated to each level.
ROLES_FOR_LEVEL: dict[EscalationLevel, frozenset[Role]] = {
    EscalationLevel.AGENT: frozenset({Role.AGENT, Role.SENIOR, Role.ADMIN}),
    EscalationLevel.SENIOR: frozenset({Role.SENIOR, Role.ADMIN}),
    EscalationLevel.MANAGER: frozenset({Role.ADMIN}),
}


def may_take(role: Role, level: EscalationLevel) -> bool:
    """Whether a person with `role` may claim (or be handed) a ticket at escalation `level`."""
    return role in ROLES_FOR_LEVEL[level]


def may_act(action: str, status: TicketStatus) -> bool:
    """Whether `action` is allowed on a ticket in `status`."""
    return status in ALLOWED_FROM[action]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is calling: a person (`user_id`, with their role) or a machine key (`user_id` None).

    Every request acts for exactly one merchant. A machine key (a help desk, a script) has the agent
    role's rights to post and read tickets, but only a person claims, replies, grants or administers:
    the services check `is_person` for those."""

    merchant_id: int
    role: Role
    user_id: int | None = None
    key_id: int | None = None
    label: str = ""  # the user's e-mail, or "key rk_ab12cd34": what the event log shows

    @property
    def is_person(self) -> bool:
        return self.user_id is not None

    @property
    def shown_as(self) -> str:
        """Who the event log names: the label, else the role."""
        return self.label or self.role.value
