"""People, API keys and workspace sessions. Every query that has a merchant is scoped by it; a key and a
session are found by their hash alone (globally unique), which is how a request learns its merchant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from rapport.domain.access import KeyInfo, StoredKey, StoredSession, UserCredentials, UserInfo
from rapport.domain.desk import Role
from rapport.domain.errors import RecordRefused
from rapport.store.models import ApiKey, User, WebSession

_USER = (User.id, User.merchant_id, User.email, User.role, User.created_at, User.disabled_at)


def _user(row: Any) -> UserInfo:
    return UserInfo(
        id=row.id,
        merchant_id=row.merchant_id,
        email=row.email,
        role=Role(row.role),
        created_at=row.created_at,
        disabled_at=row.disabled_at,
    )


class UserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, merchant_id: int, email: str, role: Role, password_hash: str, now: datetime) -> UserInfo:
        """A new user; an e-mail the merchant already has raises `RecordRefused` (transaction usable)."""
        row = User(
            merchant_id=merchant_id, email=email, role=role.value, password_hash=password_hash, created_at=now
        )
        try:
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError as exc:
            raise RecordRefused(f"user {email} already exists") from exc
        return _user(row)

    def find(self, *, merchant_id: int, email: str) -> UserCredentials | None:
        """The user `email` (lower case) of the merchant, with the password hash."""
        row = self.session.execute(
            select(*_USER, User.password_hash).where(User.merchant_id == merchant_id, User.email == email)
        ).first()
        return None if row is None else UserCredentials(user=_user(row), password_hash=row.password_hash)

    def get(self, *, merchant_id: int, user_id: int) -> UserInfo | None:
        row = self.session.execute(
            select(*_USER).where(User.merchant_id == merchant_id, User.id == user_id)
        ).first()
        return None if row is None else _user(row)

    def list(self, *, merchant_id: int) -> list[UserInfo]:
        """The merchant's users, by e-mail."""
        rows = self.session.execute(
            select(*_USER).where(User.merchant_id == merchant_id).order_by(User.email)
        )
        return [_user(row) for row in rows]

    def set_password_hash(self, *, merchant_id: int, user_id: int, password_hash: str) -> None:
        self.session.execute(
            update(User)
            .where(User.merchant_id == merchant_id, User.id == user_id)
            .values(password_hash=password_hash)
        )

    def disable(self, *, merchant_id: int, user_id: int, now: datetime) -> None:
        self.session.execute(
            update(User).where(User.merchant_id == merchant_id, User.id == user_id).values(disabled_at=now)
        )


_OWNER = aliased(User)
_KEY = (
    ApiKey.id,
    ApiKey.merchant_id,
    ApiKey.prefix,
    ApiKey.label,
    ApiKey.created_at,
    ApiKey.revoked_at,
    ApiKey.secret_hash,
    ApiKey.user_id,
    _OWNER.email.label("user_email"),
    _OWNER.role.label("user_role"),
    _OWNER.created_at.label("user_created_at"),
    _OWNER.disabled_at.label("user_disabled_at"),
)


def _keys() -> Any:
    # A personal key's user is always the key's merchant's (the join says so too).
    return select(*_KEY).outerjoin(
        _OWNER, (_OWNER.id == ApiKey.user_id) & (_OWNER.merchant_id == ApiKey.merchant_id)
    )


def _key(row: Any) -> StoredKey:
    user = None
    if row.user_id is not None and row.user_email is not None:
        user = UserInfo(
            id=row.user_id,
            merchant_id=row.merchant_id,
            email=row.user_email,
            role=Role(row.user_role),
            created_at=row.user_created_at,
            disabled_at=row.user_disabled_at,
        )
    info = KeyInfo(
        id=row.id,
        merchant_id=row.merchant_id,
        prefix=row.prefix,
        label=row.label,
        user_email=row.user_email,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )
    return StoredKey(key=info, secret_hash=row.secret_hash, user_id=row.user_id, user=user)


class ApiKeyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        *,
        merchant_id: int,
        user_id: int | None,
        prefix: str,
        secret_hash: str,
        label: str | None,
        now: datetime,
    ) -> KeyInfo:
        row = ApiKey(
            merchant_id=merchant_id,
            user_id=user_id,
            prefix=prefix,
            secret_hash=secret_hash,
            label=label,
            created_at=now,
        )
        try:
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError as exc:
            raise RecordRefused(f"key prefix {prefix} is taken") from exc
        found = self.find_by_prefix(prefix)
        assert found is not None  # just written, in this transaction
        return found.key

    def find_by_prefix(self, prefix: str) -> StoredKey | None:
        """The key with this public prefix, of whichever merchant holds it (prefixes are unique)."""
        row = self.session.execute(_keys().where(ApiKey.prefix == prefix)).first()
        return None if row is None else _key(row)

    def list(self, *, merchant_id: int) -> list[KeyInfo]:
        """The merchant's keys, newest first, revoked ones included."""
        rows = self.session.execute(
            _keys()
            .where(ApiKey.merchant_id == merchant_id)
            .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
        )
        return [_key(row).key for row in rows]

    def revoke(self, *, merchant_id: int, prefix: str, now: datetime) -> bool:
        """Revoke the merchant's key `prefix`; False when it has no such key (or it was revoked already)."""
        result = self.session.execute(
            update(ApiKey)
            .where(ApiKey.merchant_id == merchant_id, ApiKey.prefix == prefix, ApiKey.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return bool(getattr(result, "rowcount", 0))


class SessionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        *,
        merchant_id: int,
        user_id: int,
        token_hash: str,
        csrf_token: str,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        self.session.add(
            WebSession(
                merchant_id=merchant_id,
                user_id=user_id,
                token_hash=token_hash,
                csrf_token=csrf_token,
                created_at=now,
                expires_at=expires_at,
            )
        )
        self.session.flush()

    def find(self, token_hash: str) -> StoredSession | None:
        """The session whose token hashes to `token_hash`, with its user (of the session's merchant)."""
        row = self.session.execute(
            select(
                WebSession.id.label("session_id"),
                WebSession.csrf_token,
                WebSession.expires_at,
                WebSession.revoked_at,
                *_USER,
            )
            .join(User, (User.id == WebSession.user_id) & (User.merchant_id == WebSession.merchant_id))
            .where(WebSession.token_hash == token_hash)
        ).first()
        if row is None:
            return None
        return StoredSession(
            id=row.session_id,
            merchant_id=row.merchant_id,
            user=_user(row),
            csrf_token=row.csrf_token,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
        )

    def revoke(self, token_hash: str, *, now: datetime) -> None:
        self.session.execute(
            update(WebSession)
            .where(WebSession.token_hash == token_hash, WebSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )
