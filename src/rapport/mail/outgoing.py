"""The e-mail the mail adapters make of one follow-up (`domain.follow_ups.OutboundMessage`).

A failure is the domain's `DeliveryFailed` (reason, retryable), the same the follow-up port expects.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from rapport.domain.follow_ups import DeliveryFailed, OutboundMessage

_NOT_IN_MSG_ID = re.compile(r"[^A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]")


def message_id(key: str, from_address: str) -> str:
    """`<key@domain>`: the same follow-up always has the same Message-ID, so a receiver can drop a
    repeat; the domain is the sender's (RFC 5322 asks for a globally unique right-hand side)."""
    domain = from_address.rsplit("@", 1)[1] if "@" in from_address else "rapport.invalid"
    local = _NOT_IN_MSG_ID.sub("-", key).strip(".") or "follow-up"
    return f"<{local}@{_NOT_IN_MSG_ID.sub('-', domain)}>"


def email_message(
    message: OutboundMessage, *, from_address: str, from_name: str = "", now: datetime | None = None
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
            raise DeliveryFailed(f"{field} contains a line break", retryable=False)
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
