"""`GET /v1/me` tells the caller who it is: the merchant, the role, the person or the key."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from rapport.api.auth import SESSION_COOKIE
from rapport.services.access import add_user, create_key, login
from rapport.store.unit_of_work import UnitOfWork

from .conftest import NOW, bearer

PASSWORD = "correct horse battery"


def test_a_machine_key_is_an_agent_of_its_merchant_with_its_key_label(
    client: TestClient, api_key: str
) -> None:
    response = client.get("/v1/me")
    assert response.status_code == 200
    assert response.json() == {
        "merchant": "default",
        "role": "agent",
        "person": False,
        "email": None,
        "label": f"key {api_key[:11]}",
        "via": "key",
    }


def test_a_personal_key_acts_as_its_person_with_their_role(
    anonymous: TestClient, uow_factory: Callable[[], UnitOfWork]
) -> None:
    add_user(
        uow_factory, merchant="default", email="Sue@Example.com", role="senior", password=PASSWORD, now=NOW
    )
    key = create_key(uow_factory, merchant="default", user_email="sue@example.com", now=NOW).secret
    body = anonymous.get("/v1/me", headers=bearer(key)).json()
    assert (body["role"], body["person"], body["email"], body["via"]) == (
        "senior",
        True,
        "sue@example.com",
        "key",
    )


def test_a_workspace_session_is_its_person(
    anonymous: TestClient, uow_factory: Callable[[], UnitOfWork]
) -> None:
    add_user(
        uow_factory, merchant="default", email="ann@example.com", role="admin", password=PASSWORD, now=NOW
    )
    session = login(uow_factory, merchant="default", email="ann@example.com", password=PASSWORD, now=NOW)
    anonymous.cookies.set(SESSION_COOKIE, session.token)
    body = anonymous.get("/v1/me").json()
    assert (body["role"], body["email"], body["via"]) == ("admin", "ann@example.com", "session")


def test_without_credentials_me_is_a_401(anonymous: TestClient) -> None:
    assert anonymous.get("/v1/me").status_code == 401
