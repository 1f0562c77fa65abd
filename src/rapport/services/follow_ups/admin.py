"""What an admin does with follow-ups: list them (by status, by ticket) and retry a dead one."""

from __future__ import annotations

from datetime import datetime

from rapport.domain.errors import Conflict, NotFound
from rapport.domain.follow_ups import FollowUpEntry, FollowUpStatus
from rapport.services.follow_ups.store_port import FollowUpUnitOfWorkFactory

RETRYABLE = (FollowUpStatus.DEAD, FollowUpStatus.FAILED)


def list_follow_ups(
    units: FollowUpUnitOfWorkFactory,
    *,
    merchant_id: int,
    status: FollowUpStatus | None = None,
    ticket_id: int | None = None,
    limit: int = 100,
) -> list[FollowUpEntry]:
    """The merchant's follow-ups in the order they are due."""
    with units() as uow:
        return uow.follow_ups.list(merchant_id=merchant_id, status=status, ticket_id=ticket_id, limit=limit)


def retry_follow_up(
    units: FollowUpUnitOfWorkFactory, *, merchant_id: int, follow_up_id: int, now: datetime
) -> FollowUpEntry:
    """Make a dead (or failed) follow-up due now with its attempts from zero; another merchant's id is
    NotFound, one in any other state a Conflict."""
    with units(write=True) as uow:
        if not uow.follow_ups.retry(merchant_id=merchant_id, follow_up_id=follow_up_id, now=now):
            current = uow.follow_ups.get(merchant_id=merchant_id, follow_up_id=follow_up_id)
            if current is None:
                raise NotFound(f"no follow-up {follow_up_id}")
            raise Conflict(
                f"follow-up {follow_up_id} is {current.status.value}: only a dead or failed one is retried"
            )
        uow.commit()
        found = uow.follow_ups.get(merchant_id=merchant_id, follow_up_id=follow_up_id)
    assert found is not None
    return found
