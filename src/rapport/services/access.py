"""Who may call Rapport: people with a role, API keys, workspace sessions — and turning a key or a session
into the `Actor` a request acts as.

Secrets are shown once and stored hashed: a key as sha256 of the whole key (it is 256 random bits, so a
fast hash is enough), a password with argon2id, a session token as sha256. Every refusal of a credential
is the same `Unauthenticated` message, so a caller learns nothing about which part was wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from rapport.domain.access import KeyInfo, StoredKey, UserInfo
from rapport.domain.desk import Actor, Role
from rapport.domain.errors import InvalidInput, NotFound, RecordRefused, Unauthenticated
from rapport.domain.merchant import Merchant
from rapport.services.merchants import unknown_merchant
from rapport.services.ports import UnitOfWork, UnitOfWorkFactory

KEY_PREFIX = "rk_"
_KEY = re.compile(r"rk_([a-z0-9]{8})_([A-Za-z0-9_-]{43})")
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1_000  # argon2 takes any length; this keeps a paste accident from being hashed
MAX_LABEL_CHARS = 200  # api_keys.label
SESSION_HOURS = 12
BAD_KEY = "the API key is not valid (unknown, malformed or revoked)"
BAD_LOGIN = "wrong merchant, e-mail or password"
BAD_SESSION = "the session has ended; log in again"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class CreatedKey(NamedTuple):
    """A new key: `secret` is the whole key, shown once and never stored."""

    secret: str
    key: KeyInfo


class NewSession(NamedTuple):
    """A new workspace session: the cookie's token (never stored) and the CSRF token its forms carry."""

    token: str
    csrf_token: str
    expires_at: datetime
    actor: Actor


class SessionActor(NamedTuple):
    actor: Actor
    csrf_token: str


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    # argon2id with OWASP's minimum (19 MiB, 2 passes, 1 lane): ~50 ms on one core. RFC 9106's 64 MiB
    # and 4 lanes took most of a second on a shared two-core machine, a cost every login would pay.
    return PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against when there is no user, so an unknown e-mail takes as long as a wrong
    password."""
    return _hasher().hash(secrets.token_urlsafe(16))


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def normal_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > 320 or not _EMAIL.fullmatch(email):
        raise InvalidInput(f"{value[:120]!r} is not an e-mail address")
    return email


def _role(value: str | Role) -> Role:
    try:
        return Role(value)
    except ValueError:
        names = "|".join(r.value for r in Role)
        raise InvalidInput(f"role {str(value)[:40]!r} is not one of {names}") from None


def _merchant(uow: UnitOfWork, slug: str) -> Merchant:
    found = uow.merchants.find(slug)
    if found is None:
        raise unknown_merchant(slug)
    return found


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _user_actor(user: UserInfo, *, key_id: int | None = None) -> Actor:
    return Actor(
        merchant_id=user.merchant_id, role=user.role, user_id=user.id, key_id=key_id, label=user.email
    )


# -- people ------------------------------------------------------------------------------------------


def add_user(
    uow_factory: UnitOfWorkFactory,
    *,
    merchant: str,
    email: str,
    role: str | Role,
    password: str,
    now: datetime,
) -> UserInfo:
    """A new person at the merchant `merchant` (its name); the password is stored as an argon2id hash.

    A password under 10 characters, an unknown role, a malformed or taken e-mail: `InvalidInput`."""
    address = normal_email(email)
    chosen = _role(role)
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise InvalidInput(f"the password must have at most {MAX_PASSWORD_CHARS} characters")
    password_hash = _hasher().hash(password)
    with uow_factory(write=True) as uow:
        found = _merchant(uow, merchant)
        try:
            user = uow.users.add(
                merchant_id=found.id, email=address, role=chosen, password_hash=password_hash, now=now
            )
        except RecordRefused:
            raise InvalidInput(f"merchant {found.slug!r} already has a user {address}") from None
        uow.commit()
    return user


def list_users(uow_factory: UnitOfWorkFactory, *, merchant: str) -> list[UserInfo]:
    with uow_factory() as uow:
        return uow.users.list(merchant_id=_merchant(uow, merchant).id)


# -- API keys ----------------------------------------------------------------------------------------


def create_key(
    uow_factory: UnitOfWorkFactory,
    *,
    merchant: str,
    now: datetime,
    user_email: str | None = None,
    label: str | None = None,
) -> CreatedKey:
    """A new API key of the merchant: a machine key, or with `user_email` a personal key acting as that
    user. The whole key is returned once (`rk_<8 chars>_<43 chars>`); the store keeps its prefix and the
    sha256 of the whole key."""
    if label is not None and len(label) > MAX_LABEL_CHARS:
        raise InvalidInput(f"the label must have at most {MAX_LABEL_CHARS} characters")
    with uow_factory(write=True) as uow:
        found = _merchant(uow, merchant)
        user_id = None
        if user_email is not None:
            address = normal_email(user_email)
            owner = uow.users.find(merchant_id=found.id, email=address)
            if owner is None:
                raise InvalidInput(f"merchant {found.slug!r} has no user {address} (`rapport user add`)")
            user_id = owner.user.id
        prefix = f"{KEY_PREFIX}{secrets.token_hex(4)}"
        secret = f"{prefix}_{secrets.token_urlsafe(32)}"
        info = uow.api_keys.add(
            merchant_id=found.id,
            user_id=user_id,
            prefix=prefix,
            secret_hash=sha256_hex(secret),
            label=(label or "").strip() or None,
            now=now,
        )
        uow.commit()
    return CreatedKey(secret=secret, key=info)


def _public_prefix(value: str) -> str:
    prefix = value.strip()
    return prefix if prefix.startswith(KEY_PREFIX) else f"{KEY_PREFIX}{prefix}"


def revoke_key(uow_factory: UnitOfWorkFactory, *, merchant: str, prefix: str, now: datetime) -> None:
    """Revoke the merchant's key `prefix` (`rk_ab12cd34` or `ab12cd34`): it is refused from now on.

    A prefix the merchant has no live key for raises `NotFound`."""
    public = _public_prefix(prefix)
    with uow_factory(write=True) as uow:
        found = _merchant(uow, merchant)
        if not uow.api_keys.revoke(merchant_id=found.id, prefix=public, now=now):
            raise NotFound(f"merchant {found.slug!r} has no live key {public[:40]}")
        uow.commit()


def list_keys(uow_factory: UnitOfWorkFactory, *, merchant: str) -> list[KeyInfo]:
    """The merchant's keys (prefix, label, user, created, revoked), newest first; never a secret."""
    with uow_factory() as uow:
        return uow.api_keys.list(merchant_id=_merchant(uow, merchant).id)


def authenticate_key(uow_factory: UnitOfWorkFactory, *, raw_key: str, now: datetime) -> Actor:
    """The actor a key acts as: its user (with their role) for a personal key, an agent-role machine
    for a machine key. Unknown, malformed or revoked keys, and keys of disabled users: `Unauthenticated`.
    """
    match = _KEY.fullmatch(raw_key.strip())
    if match is None:
        raise Unauthenticated(BAD_KEY)
    with uow_factory() as uow:
        stored = uow.api_keys.find_by_prefix(f"{KEY_PREFIX}{match.group(1)}")
        uow.commit()  # a read, ended by COMMIT to keep the prepared statements (ports.UnitOfWork)
    digest = sha256_hex(raw_key.strip())
    # Compare even when the prefix is unknown, so both refusals take the same time.
    expected = stored.secret_hash if stored is not None else sha256_hex(secrets.token_hex(8))
    if stored is None or not hmac.compare_digest(digest, expected) or not _usable(stored, now):
        raise Unauthenticated(BAD_KEY)
    key = stored.key
    if stored.user_id is not None and stored.user is not None:
        return _user_actor(stored.user, key_id=key.id)
    return Actor(merchant_id=key.merchant_id, role=Role.AGENT, key_id=key.id, label=f"key {key.prefix}")


def _usable(stored: StoredKey, now: datetime) -> bool:
    if stored.key.revoked_at is not None and stored.key.revoked_at <= now:
        return False
    if stored.user_id is not None:  # a personal key: its user must still exist and be active
        return stored.user is not None and stored.user.active
    return True


# -- workspace sessions ------------------------------------------------------------------------------


def login(
    uow_factory: UnitOfWorkFactory, *, merchant: str, email: str, password: str, now: datetime
) -> NewSession:
    """Check a person's password and open a 12-hour session. A wrong password, an unknown user or
    merchant, a disabled user: the same `Unauthenticated`, after the same argon2 work."""
    address = email.strip().lower()
    with uow_factory() as uow:
        found = uow.merchants.find(merchant.strip())
        credentials = (
            uow.users.find(merchant_id=found.id, email=address) if found is not None and address else None
        )
    password_hash = credentials.password_hash if credentials is not None else _dummy_hash()
    verified = _verify(password_hash, password[:MAX_PASSWORD_CHARS])
    if credentials is None or not verified or not credentials.user.active:
        raise Unauthenticated(BAD_LOGIN)
    user = credentials.user
    token = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(hours=SESSION_HOURS)
    with uow_factory(write=True) as uow:
        uow.web_sessions.add(
            merchant_id=user.merchant_id,
            user_id=user.id,
            token_hash=sha256_hex(token),
            csrf_token=csrf_token,
            now=now,
            expires_at=expires_at,
        )
        uow.commit()
    return NewSession(token=token, csrf_token=csrf_token, expires_at=expires_at, actor=_user_actor(user))


def session_actor(uow_factory: UnitOfWorkFactory, *, token: str, now: datetime) -> SessionActor:
    """The person a session cookie belongs to, and the session's CSRF token. An unknown, expired or
    revoked session, or a disabled user: `Unauthenticated`."""
    if not token or len(token) > 200:
        raise Unauthenticated(BAD_SESSION)
    with uow_factory() as uow:
        stored = uow.web_sessions.find(sha256_hex(token))
    if stored is None or stored.revoked_at is not None or stored.expires_at <= now or not stored.user.active:
        raise Unauthenticated(BAD_SESSION)
    return SessionActor(actor=_user_actor(stored.user), csrf_token=stored.csrf_token)


def logout(uow_factory: UnitOfWorkFactory, *, token: str, now: datetime) -> None:
    """End the session (its cookie is refused from now on); an unknown token is a no-op."""
    if not token or len(token) > 200:
        return
    with uow_factory(write=True) as uow:
        uow.web_sessions.revoke(sha256_hex(token), now=now)
        uow.commit()
