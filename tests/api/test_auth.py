"""Every /v1 route needs an API key (Authorization: Bearer) or a workspace session with its CSRF token."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from rapport.api.auth import CSRF_HEADER, SESSION_COOKIE, Authenticator
from rapport.domain.desk import Actor
from rapport.services.access import add_user, create_key, login, revoke_key
from rapport.store.unit_of_work import UnitOfWork

from .conftest import NOW, bearer

TICKET = {"email": "who@example.net", "message": "my parcel never came"}
PASSWORD = "correct horse battery"
UNAUTHENTICATED = "unauthenticated"


def test_a_request_without_credentials_is_a_401_error_body_with_a_bearer_challenge(
    anonymous: TestClient,
) -> None:
    response = anonymous.get("/v1/customers/dana.lee@example.com")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {
        "error": {
            "code": UNAUTHENTICATED,
            "message": "an API key (Authorization: Bearer KEY) or a workspace session is required",
        }
    }


@pytest.mark.parametrize(
    "header",
    [
        "Bearer rk_00000000_" + "a" * 43,  # well formed, unknown
        "Bearer not-a-key",
        "Basic dXNlcjpwYXNz",
        "Bearer ",
    ],
)
def test_a_wrong_key_or_scheme_is_a_401(anonymous: TestClient, header: str) -> None:
    response = anonymous.post("/v1/tickets/triage", json=TICKET, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == UNAUTHENTICATED
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_key_with_the_right_prefix_but_a_wrong_secret_is_a_401(anonymous: TestClient, api_key: str) -> None:
    forged = api_key[:-4] + ("AAAA" if not api_key.endswith("AAAA") else "BBBB")
    assert anonymous.get("/v1/customers/who@example.net", headers=bearer(forged)).status_code == 401


def test_a_machine_key_reads_and_triages(anonymous: TestClient, api_key: str) -> None:
    card = anonymous.get("/v1/customers/who@example.net", headers=bearer(api_key))
    assert card.status_code == 200
    assert card.json()["known"] is False
    assert anonymous.post("/v1/tickets/triage", json=TICKET, headers=bearer(api_key)).status_code == 200


def test_a_revoked_key_is_refused_from_then_on(
    anonymous: TestClient, api_key: str, uow_factory: Callable[[], UnitOfWork]
) -> None:
    assert anonymous.get("/v1/customers/who@example.net", headers=bearer(api_key)).status_code == 200
    revoke_key(uow_factory, merchant="default", prefix=api_key[:11], now=NOW)
    refused = anonymous.get("/v1/customers/who@example.net", headers=bearer(api_key))
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == UNAUTHENTICATED


def test_a_bearer_key_wins_over_a_session_cookie(anonymous: TestClient, api_key: str) -> None:
    anonymous.cookies.set(SESSION_COOKIE, "not-a-session")
    assert anonymous.get("/v1/customers/who@example.net", headers=bearer(api_key)).status_code == 200


# Sessions: the cookie of a logged-in person, with the CSRF token on every request that changes something.


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def session_client(
    make_app: Callable[..., FastAPI], uow_factory: Callable[[], UnitOfWork], clock: Clock
) -> tuple[TestClient, str]:
    """A client holding an agent's session cookie, and that session's CSRF token."""
    app = make_app(clock=clock)
    add_user(uow_factory, merchant="default", email="ana@acme.test", role="agent", password=PASSWORD, now=NOW)
    session = login(uow_factory, merchant="default", email="ana@acme.test", password=PASSWORD, now=NOW)
    client = TestClient(app, raise_server_exceptions=False)
    client.cookies.set(SESSION_COOKIE, session.token)
    return client, session.csrf_token


def test_a_session_cookie_reads_without_a_csrf_token(session_client: tuple[TestClient, str]) -> None:
    client, _ = session_client
    assert client.get("/v1/customers/who@example.net").status_code == 200


def test_a_cookie_post_without_the_csrf_token_is_a_403(session_client: tuple[TestClient, str]) -> None:
    client, _ = session_client
    response = client.post("/v1/tickets/triage", json=TICKET)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_a_cookie_post_with_a_wrong_csrf_token_is_a_403(session_client: tuple[TestClient, str]) -> None:
    client, _ = session_client
    response = client.post("/v1/tickets/triage", json=TICKET, headers={CSRF_HEADER: "guess"})
    assert response.status_code == 403


def test_a_cookie_post_with_the_csrf_header_is_served(session_client: tuple[TestClient, str]) -> None:
    client, csrf = session_client
    assert client.post("/v1/tickets/triage", json=TICKET, headers={CSRF_HEADER: csrf}).status_code == 200


def test_a_session_ends_after_twelve_hours(session_client: tuple[TestClient, str], clock: Clock) -> None:
    client, _ = session_client
    clock.now = NOW + timedelta(hours=11, minutes=59)
    assert client.get("/v1/customers/who@example.net").status_code == 200
    clock.now = NOW + timedelta(hours=12)
    expired = client.get("/v1/customers/who@example.net")
    assert expired.status_code == 401
    assert expired.json()["error"]["message"] == "the session has ended; log in again"


def test_an_unknown_session_cookie_is_a_401(anonymous: TestClient) -> None:
    anonymous.cookies.set(SESSION_COOKIE, "forged-token")
    assert anonymous.get("/v1/customers/who@example.net").status_code == 401


# The `person` and `admin` dependencies, and the CSRF token in a form field.


@pytest.fixture
def guarded(make_app: Callable[..., FastAPI], uow_factory: Callable[[], UnitOfWork]) -> TestClient:
    """The app with three extra routes: any caller, persons only, admins only (and a form post)."""
    app = make_app()
    from rapport.bootstrap import build

    from .conftest import settings

    auth = Authenticator(build(settings(), uow_factory=uow_factory), clock=lambda: NOW)

    @app.get("/probe/any")
    def any_(actor: Actor = Depends(auth.actor)) -> dict[str, object]:
        return {"role": actor.role.value, "person": actor.is_person, "merchant": actor.merchant_id}

    @app.get("/probe/person")
    def person(actor: Actor = Depends(auth.person)) -> dict[str, object]:
        return {"label": actor.label}

    @app.get("/probe/admin")
    def admin(actor: Actor = Depends(auth.admin)) -> dict[str, object]:
        return {"label": actor.label}

    @app.post("/probe/form")
    def form(actor: Actor = Depends(auth.actor)) -> dict[str, object]:
        return {"label": actor.label}

    for email, role in (("ana@acme.test", "agent"), ("root@acme.test", "admin")):
        add_user(uow_factory, merchant="default", email=email, role=role, password=PASSWORD, now=NOW)
    return TestClient(app, raise_server_exceptions=False)


def personal_key(uow_factory: Callable[[], UnitOfWork], email: str) -> dict[str, str]:
    return bearer(create_key(uow_factory, merchant="default", user_email=email, now=NOW).secret)


def test_a_machine_key_acts_as_an_agent_but_is_no_person(
    guarded: TestClient, auth_headers: dict[str, str]
) -> None:
    assert guarded.get("/probe/any", headers=auth_headers).json()["person"] is False
    assert guarded.get("/probe/any", headers=auth_headers).json()["role"] == "agent"
    refused = guarded.get("/probe/person", headers=auth_headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"


def test_a_personal_key_acts_as_its_user_with_their_role(
    guarded: TestClient, uow_factory: Callable[[], UnitOfWork]
) -> None:
    agent = personal_key(uow_factory, "ana@acme.test")
    admin = personal_key(uow_factory, "root@acme.test")
    assert guarded.get("/probe/person", headers=agent).json() == {"label": "ana@acme.test"}
    assert guarded.get("/probe/admin", headers=agent).status_code == 403
    assert guarded.get("/probe/admin", headers=admin).json() == {"label": "root@acme.test"}


def test_the_csrf_token_may_come_as_a_form_field(
    guarded: TestClient, uow_factory: Callable[[], UnitOfWork]
) -> None:
    session = login(uow_factory, merchant="default", email="ana@acme.test", password=PASSWORD, now=NOW)
    guarded.cookies.set(SESSION_COOKIE, session.token)
    served = guarded.post("/probe/form", data={"csrf_token": session.csrf_token, "note": "x"})
    assert served.json() == {"label": "ana@acme.test"}
    assert guarded.post("/probe/form", data={"csrf_token": "wrong"}).status_code == 403
    assert guarded.post("/probe/form", data={"note": "x"}).status_code == 403


def test_the_openapi_document_declares_the_bearer_scheme_on_v1_routes(anonymous: TestClient) -> None:
    document = anonymous.get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key: `rapport key create --merchant NAME`",
    }
    assert {"HTTPBearer": []} in document["paths"]["/v1/tickets/triage"]["post"]["security"]
    assert "security" not in document["paths"]["/healthz"]["get"]
