"""Due follow-ups in bulk (Core inserts, one transaction): tickets and their follow-ups for the claim,
worker and throughput tests. Imported as `follow_up_seeds`."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select

from rapport.domain.follow_ups import FollowUpStatus
from rapport.store.models import FollowUpRecord, Merchant, TicketRecord, table_of

DUE = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def seed_due_follow_ups(engine: Engine, count: int, *, slug: str = "acme", due_at: datetime = DUE) -> int:
    """`count` resolved tickets, one customer each, each with a satisfaction survey due at `due_at`;
    the merchant's id."""
    with engine.begin() as connection:
        merchant_id = connection.scalar(select(Merchant.id).where(Merchant.slug == slug))
        if merchant_id is None:
            merchant_id = connection.scalar(
                insert(Merchant).values(slug=slug, name=slug.title(), currency="USD").returning(Merchant.id)
            )
        tickets = [
            {
                "merchant_id": merchant_id,
                "email": f"customer{n}@example.com",
                "message": "The bowl arrived chipped.",
                "received_at": due_at,
                "channel": "email",
                "intent": "damaged_item",
                "status": "resolved",
                "subject": f"Order #{1000 + n}",
                "customer_name": f"Customer {n}",
            }
            for n in range(count)
        ]
        ids = list(connection.scalars(insert(TicketRecord).returning(TicketRecord.id), tickets))
        connection.execute(
            insert(table_of(FollowUpRecord)),
            [
                {
                    "merchant_id": merchant_id,
                    "ticket_id": ticket_id,
                    "customer_id": None,
                    "email": f"customer{n}@example.com",
                    "rule_key": "default[0]:satisfaction_survey",
                    "kind": "satisfaction_survey",
                    "channel": "email",
                    "sender": "agent",
                    "anchor": "resolution",
                    "due_at": due_at,
                    "status": FollowUpStatus.SCHEDULED.value,
                    "attempts": 0,
                    "next_attempt_at": due_at,
                    "created_at": due_at,
                    "updated_at": due_at,
                }
                for n, ticket_id in enumerate(ids)
            ],
        )
    assert merchant_id is not None
    return int(merchant_id)
