"""A merchant's policy versions: the YAML text of each, who saved it and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from rapport.domain.policy_version import PolicyVersionInfo, StoredPolicy
from rapport.store.models import PolicyVersion

# Every request checks it before reusing its parsed policy: built once.
_NEWEST_VERSION = select(func.max(PolicyVersion.version)).where(
    PolicyVersion.merchant_id == bindparam("merchant_id")
)


class PolicyVersionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def current(self, *, merchant_id: int) -> StoredPolicy | None:
        """The newest version (the one in force), or None when the merchant has never stored one."""
        row = self.session.execute(
            select(PolicyVersion)
            .where(PolicyVersion.merchant_id == merchant_id)
            .order_by(PolicyVersion.version.desc())
            .limit(1)
        ).scalar_one_or_none()
        return None if row is None else _stored(row)

    def current_version(self, *, merchant_id: int) -> int | None:
        """Only the newest version's number: what a process checks before reusing a parsed policy."""
        return self.session.execute(_NEWEST_VERSION, {"merchant_id": merchant_id}).scalar_one_or_none()

    def get(self, *, merchant_id: int, version: int) -> StoredPolicy | None:
        row = self.session.execute(
            select(PolicyVersion).where(
                PolicyVersion.merchant_id == merchant_id, PolicyVersion.version == version
            )
        ).scalar_one_or_none()
        return None if row is None else _stored(row)

    def history(self, *, merchant_id: int) -> list[PolicyVersionInfo]:
        """Every version, newest first, without the text."""
        rows = self.session.execute(
            select(PolicyVersion)
            .where(PolicyVersion.merchant_id == merchant_id)
            .order_by(PolicyVersion.version.desc())
        ).scalars()
        return [_stored(row).info for row in rows]

    def add(
        self,
        *,
        merchant_id: int,
        source: str,
        author_id: int | None,
        author_label: str,
        note: str | None,
        now: datetime,
    ) -> PolicyVersionInfo:
        """Store `source` as the next version. Two concurrent saves cannot both take the same number: the
        (merchant, version) key refuses the second, which the caller reports as a conflict."""
        latest = self.current_version(merchant_id=merchant_id) or 0
        row = PolicyVersion(
            merchant_id=merchant_id,
            version=latest + 1,
            source=source,
            author_id=author_id,
            author_label=author_label,
            note=note,
            created_at=now,
        )
        self.session.add(row)
        self.session.flush()
        return _stored(row).info


def _stored(row: PolicyVersion) -> StoredPolicy:
    return StoredPolicy(
        info=PolicyVersionInfo(
            version=row.version, author=row.author_label, note=row.note, created_at=row.created_at
        ),
        source=row.source,
    )
