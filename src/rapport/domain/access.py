"""Who may call Rapport: people (users with a role), API keys and workspace sessions, as stored.

Plain values the store returns and the access service works on; secrets never appear here, only their
hashes (a key's sha256, a password's argon2id hash)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rapport.domain.desk import Role


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A person at a merchant: an e-mail (stored lower case) and a role; `disabled_at` set: may not log in."""

    id: int
    merchant_id: int
    email: str
    role: Role
    created_at: datetime
    disabled_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.disabled_at is None


@dataclass(frozen=True, slots=True)
class UserCredentials:
    """A user with their password hash: only the access service's login reads this."""

    user: UserInfo
    password_hash: str


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """An API key as listed: its public prefix (`rk_ab12cd34`), never the secret."""

    id: int
    merchant_id: int
    prefix: str
    label: str | None
    user_email: str | None  # a personal key's user; None for a machine key
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredKey:
    """An API key with the sha256 of the full key and, for a personal key, its user."""

    key: KeyInfo
    secret_hash: str
    user_id: int | None  # set: a personal key (`user` None then means its user is gone)
    user: UserInfo | None


@dataclass(frozen=True, slots=True)
class StoredSession:
    """A workspace session: its user, the CSRF token its forms carry, when it ends."""

    id: int
    merchant_id: int
    user: UserInfo
    csrf_token: str
    expires_at: datetime
    revoked_at: datetime | None = None
