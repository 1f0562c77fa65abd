"""A realistic follow-up ready to deliver, for the delivery adapters' tests."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rapport.services.follow_ups.ports import OutboundMessage


def a_follow_up(**overrides: Any) -> OutboundMessage:
    """Dana's personal check-in the day after her chipped bowls were replaced (ticket 41 of merchant 3)."""
    message = OutboundMessage(
        key="rapport-follow-up-3-41",
        merchant_id=3,
        ticket_id=41,
        kind="personal_check_in",
        channel="email",
        to_address="dana.lee@example.com",
        to_name="Dana Lee",
        subject="A personal note from Acme Home about your order #1042",
        body="Hi Dana,\n\nI wanted to check in with you personally. Is everything as it should be now?\n\n"
        "Warm regards,\nSofia Marin, Senior Support\nAcme Home",
    )
    return replace(message, **overrides)
