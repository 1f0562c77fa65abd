"""What the mail adapters carry, the e-mail they make of it, and how they fail.

Adapters sit beside the services and may not import them (the layers of docs/architecture.md), so
`Outgoing` describes `services.follow_ups.ports.OutboundMessage` structurally, and `NotDelivered`
(reason, retryable) is what the composition root turns into the port's `DeliveryFailed`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Protocol

_NOT_IN_MSG_ID = re.compile(r"[^A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]")


class Outgoing(Protocol):
    """One follow-up to deliver (`OutboundMessage` satisfies it)."""

    @property
    def key(self) -> str: ...
    @property
    def merchant_id(self) -> int: ...
    @property
    def ticket_id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def to_address(self) -> str: ...
    @property
    def to_name(self) -> str | None: ...
    @property
    def subject(self) -> str: ...
    @property
    def body(self) -> str: ...


class NotDelivered(Exception):
    """The message did not go out; `retryable` says whether trying again later may help."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


def message_id(key: str, from_address: str) -> str:
    """`<key@domain>`: the same follow-up always has the same Message-ID, so a receiver can drop a
    repeat; the domain is the sender's (RFC 5322 asks for a globally unique right-hand side)."""
    domain = from_address.rsplit("@", 1)[1] if "@" in from_address else "rapport.invalid"
    local = _NOT_IN_MSG_ID.sub("-", key).strip(".") or "follow-up"
    return f"<{local}@{_NOT_IN_MSG_ID.sub('-', domain)}>"


def email_message(
    message: Outgoing, *, from_address: str, from_name: str = "", now: datetime | None = None
) -> EmailMessage:
    """The RFC 5322 e-mail of one follow-up: plain text in UTF-8, marked as sent automatically."""
    headers = {
        "key": message.key,
        "kind": message.kind,
        "to_address": message.to_address,
        "to_name": message.to_name or "",
        "subject": message.subject,
    }
    for field, value in headers.items():
        if "\n" in value or "\r" in value:  # a header injection ("\nBcc: ..."): never sendable
            raise NotDelivered(f"{field} contains a line break", retryable=False)
    mail = EmailMessage()
    mail["Message-ID"] = message_id(message.key, from_address)
    mail["Date"] = format_datetime(now or datetime.now(UTC))
    mail["From"] = formataddr((from_name, from_address)) if from_name else from_address
    mail["To"] = formataddr((message.to_name or "", message.to_address))
    mail["Subject"] = message.subject
    # RFC 3834: an automatic message; well-behaved auto-responders do not answer it (no mail loops).
    mail["Auto-Submitted"] = "auto-generated"
    mail["X-Rapport-Key"] = message.key
    mail["X-Rapport-Ticket"] = str(message.ticket_id)
    mail["X-Rapport-Kind"] = message.kind
    mail.set_content(message.body, charset="utf-8")
    return mail
