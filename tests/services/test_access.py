"""The access service on a real store: keys, people, sessions, and the actor each credential acts as."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from rapport.domain.desk import Actor, Role
from rapport.domain.errors import InvalidInput, NotFound, Unauthenticated, UnknownMerchant
from rapport.services import access
from rapport.services.access import (
    add_user,
    authenticate_key,
    create_key,
    list_keys,
    list_users,
    login,
    logout,
    revoke_key,
    session_actor,
)
from rapport.store.unit_of_work import UnitOfWork

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"

Factory = Callable[..., UnitOfWork]


@pytest.fixture
def store(uow_factory: Factory) -> Factory:
    """Merchants acme and globex; acme has an agent, ana@acme.test."""
    with uow_factory(write=True) as uow:
        uow.merchants.create("acme", currency="USD")
        uow.merchants.create("globex", currency="EUR")
        uow.commit()
    add_user(uow_factory, merchant="acme", email="ana@acme.test", role="agent", password=PASSWORD, now=NOW)
    return uow_factory


def merchant_id(uow_factory: Factory, slug: str) -> int:
    with uow_factory() as uow:
        found = uow.merchants.find(slug)
    assert found is not None
    return found.id


# Keys


def test_a_new_key_has_the_documented_shape_and_only_its_hash_is_stored(store: Factory) -> None:
    created = create_key(store, merchant="acme", label="helpdesk", now=NOW)
    prefix, _, secret = created.secret[3:].partition("_")
    assert created.secret.startswith("rk_")
    assert len(prefix) == 8
    assert len(secret) == 43
    assert created.key.prefix == f"rk_{prefix}"
    with store() as uow:
        stored = uow.api_keys.find_by_prefix(created.key.prefix)
    assert stored is not None
    assert stored.secret_hash == hashlib.sha256(created.secret.encode()).hexdigest()


def test_a_machine_key_acts_as_an_agent_role_machine_of_its_merchant(store: Factory) -> None:
    created = create_key(store, merchant="acme", now=NOW)
    actor = authenticate_key(store, raw_key=created.secret, now=NOW)
    assert actor == Actor(
        merchant_id=merchant_id(store, "acme"),
        role=Role.AGENT,
        user_id=None,
        key_id=created.key.id,
        label=f"key {created.key.prefix}",
    )
    assert not actor.is_person


def test_a_personal_key_acts_as_its_user_with_their_role(store: Factory) -> None:
    add_user(store, merchant="acme", email="root@acme.test", role=Role.ADMIN, password=PASSWORD, now=NOW)
    created = create_key(store, merchant="acme", user_email="ROOT@acme.test", now=NOW)
    actor = authenticate_key(store, raw_key=created.secret, now=NOW)
    assert actor.is_person
    assert actor.role is Role.ADMIN
    assert actor.label == "root@acme.test"
    assert actor.key_id == created.key.id


def test_a_personal_key_of_another_merchants_user_cannot_be_made(store: Factory) -> None:
    with pytest.raises(InvalidInput, match="merchant 'globex' has no user ana@acme.test"):
        create_key(store, merchant="globex", user_email="ana@acme.test", now=NOW)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "rk_",
        "not a key",
        "rk_ABCDEFGH_" + "a" * 43,  # the prefix is lower-case hex
        "rk_00000000_" + "a" * 42,
        "rk_00000000_" + "a" * 44,
        "rk_00000000_" + "a" * 43,  # well formed, unknown
    ],
)
def test_a_malformed_or_unknown_key_is_unauthenticated(store: Factory, raw: str) -> None:
    with pytest.raises(Unauthenticated, match="the API key is not valid"):
        authenticate_key(store, raw_key=raw, now=NOW)


def test_a_key_with_its_prefix_but_another_secret_is_unauthenticated(store: Factory) -> None:
    created = create_key(store, merchant="acme", now=NOW)
    forged = created.secret[:12] + ("A" if created.secret[12] != "A" else "B") + created.secret[13:]
    with pytest.raises(Unauthenticated):
        authenticate_key(store, raw_key=forged, now=NOW)


def test_a_revoked_key_is_unauthenticated_and_revoking_twice_is_not_found(store: Factory) -> None:
    created = create_key(store, merchant="acme", now=NOW)
    revoke_key(store, merchant="acme", prefix=created.key.prefix.removeprefix("rk_"), now=NOW)
    with pytest.raises(Unauthenticated):
        authenticate_key(store, raw_key=created.secret, now=NOW)
    with pytest.raises(NotFound):
        revoke_key(store, merchant="acme", prefix=created.key.prefix, now=NOW)


def test_another_merchant_cannot_revoke_or_list_a_key(store: Factory) -> None:
    created = create_key(store, merchant="acme", now=NOW)
    with pytest.raises(NotFound):
        revoke_key(store, merchant="globex", prefix=created.key.prefix, now=NOW)
    assert list_keys(store, merchant="globex") == []
    assert [k.prefix for k in list_keys(store, merchant="acme")] == [created.key.prefix]
    assert authenticate_key(store, raw_key=created.secret, now=NOW).merchant_id == merchant_id(store, "acme")


def test_the_keys_of_a_disabled_user_are_refused(store: Factory) -> None:
    created = create_key(store, merchant="acme", user_email="ana@acme.test", now=NOW)
    acme = merchant_id(store, "acme")
    with store(write=True) as uow:
        user = uow.users.find(merchant_id=acme, email="ana@acme.test")
        assert user is not None
        uow.users.disable(merchant_id=acme, user_id=user.user.id, now=NOW)
        uow.commit()
    with pytest.raises(Unauthenticated):
        authenticate_key(store, raw_key=created.secret, now=NOW)
    with pytest.raises(Unauthenticated, match="wrong merchant, e-mail or password"):
        login(store, merchant="acme", email="ana@acme.test", password=PASSWORD, now=NOW)


def test_a_key_for_an_unknown_merchant_is_refused(store: Factory) -> None:
    with pytest.raises(UnknownMerchant):
        create_key(store, merchant="nobody", now=NOW)


# People


@pytest.mark.parametrize(
    ("email", "role", "password", "message"),
    [
        ("bo@acme.test", "agent", "short", "at least 10 characters"),
        ("bo@acme.test", "boss", PASSWORD, "role 'boss' is not one of agent|senior|admin"),
        ("not-an-email", "agent", PASSWORD, "is not an e-mail address"),
        ("ANA@acme.test", "senior", PASSWORD, "already has a user ana@acme.test"),
    ],
)
def test_add_user_refuses_bad_input(
    store: Factory, email: str, role: str, password: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        add_user(store, merchant="acme", email=email, role=role, password=password, now=NOW)
    assert [u.email for u in list_users(store, merchant="acme")] == ["ana@acme.test"]


def test_the_same_email_may_be_a_user_at_two_merchants(store: Factory) -> None:
    add_user(store, merchant="globex", email="ana@acme.test", role="admin", password=PASSWORD, now=NOW)
    assert [u.role for u in list_users(store, merchant="globex")] == [Role.ADMIN]
    assert [u.role for u in list_users(store, merchant="acme")] == [Role.AGENT]


def test_the_password_is_stored_as_an_argon2id_hash(store: Factory) -> None:
    with store() as uow:
        found = uow.users.find(merchant_id=merchant_id(store, "acme"), email="ana@acme.test")
    assert found is not None
    assert found.password_hash.startswith("$argon2id$")
    assert PASSWORD not in found.password_hash


# Sessions


def test_login_opens_a_twelve_hour_session_for_the_person(store: Factory) -> None:
    session = login(store, merchant="acme", email=" Ana@Acme.test ", password=PASSWORD, now=NOW)
    assert session.expires_at == NOW + timedelta(hours=12)
    assert session.actor.label == "ana@acme.test"
    found = session_actor(store, token=session.token, now=NOW + timedelta(hours=11))
    assert found.actor == session.actor
    assert found.csrf_token == session.csrf_token
    with pytest.raises(Unauthenticated, match="the session has ended"):
        session_actor(store, token=session.token, now=NOW + timedelta(hours=12))


def test_the_session_token_is_stored_only_as_its_hash(store: Factory) -> None:
    session = login(store, merchant="acme", email="ana@acme.test", password=PASSWORD, now=NOW)
    with store() as uow:
        assert uow.web_sessions.find(session.token) is None
        assert uow.web_sessions.find(hashlib.sha256(session.token.encode()).hexdigest()) is not None


@pytest.mark.parametrize(
    ("merchant", "email", "password"),
    [
        ("acme", "ana@acme.test", "wrong password!"),
        ("acme", "nobody@acme.test", PASSWORD),
        ("globex", "ana@acme.test", PASSWORD),  # a user of another merchant
        ("nobody", "ana@acme.test", PASSWORD),
    ],
)
def test_every_failed_login_is_the_same_refusal_after_the_same_argon2_work(
    store: Factory, monkeypatch: pytest.MonkeyPatch, merchant: str, email: str, password: str
) -> None:
    verified: list[str] = []
    real = access._verify

    def counting(password_hash: str, given: str) -> bool:
        verified.append(password_hash[:10])
        return real(password_hash, given)

    monkeypatch.setattr(access, "_verify", counting)
    with pytest.raises(Unauthenticated) as refused:
        login(store, merchant=merchant, email=email, password=password, now=NOW)
    assert refused.value.message == "wrong merchant, e-mail or password"
    assert verified == ["$argon2id$"]


def test_logout_ends_the_session(store: Factory) -> None:
    session = login(store, merchant="acme", email="ana@acme.test", password=PASSWORD, now=NOW)
    logout(store, token=session.token, now=NOW)
    with pytest.raises(Unauthenticated):
        session_actor(store, token=session.token, now=NOW)


def test_an_unknown_or_empty_session_token_is_unauthenticated(store: Factory) -> None:
    for token in ("", "forged", "x" * 500):
        with pytest.raises(Unauthenticated):
            session_actor(store, token=token, now=NOW)
