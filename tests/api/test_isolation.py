"""Isolation and roles, for every route the app publishes (its OpenAPI document, every method):

(a) every /v1 route refuses a request without credentials (401);
(b) with merchant A's credentials, a route addressing merchant B's objects (B's ticket id, B's queue, B's
    customer's e-mail, B's policy version) answers 404, or — where A has a thing of the same name, such as
    a queue or a guest customer card — answers without any of B's rows;
(c) a route marked `x-rapport-role: admin` refuses an agent and a machine key (403); one marked `person`
    refuses a machine key (403).

The routes are read from the app, so a new route is covered by itself; one this test cannot classify (an
unknown path parameter, request body or role, a public route not listed here) fails the test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rapport.api.auth import ROLE_EXTENSION
from rapport.policy import default_policy_text
from rapport.services.access import add_user, create_key
from rapport.services.importing import import_jsonl
from rapport.services.merchants import add_merchant
from rapport.store.unit_of_work import UnitOfWork

from .conftest import NOW, STORE, bearer

# Routes outside /v1 that answer without a key: health and readiness, the API's documents, and Shopify's
# webhooks (HMAC-verified, bound to their shop).
PUBLIC = {
    "/healthz",
    "/readyz",
    "/webhooks/shopify",
    "/docs",
    "/openapi.json",
    "/redoc",
    "/docs/oauth2-redirect",
}
# Routes outside /v1 with a credential of their own, which no merchant's key or session opens: the
# Prometheus metrics (RAPPORT_METRICS_TOKEN; unset, as here, the route refuses everyone).
OWN_CREDENTIAL = {"/metrics"}
ROLES = {None, "person", "admin"}
METHODS = {"get", "post", "put", "patch", "delete"}
PASSWORD = "correct horse battery"

# B's data carries these words; none of them may reach A.
B_EMAIL = "dana.lee@example.com"  # a customer of B only (A's store is empty)
B_SUBJECT = "globex-only-subject-7f3a"
B_BODY = "globex-only-body-9c2e: my bowl set arrived chipped"
B_POLICY_MARK = "# globex-only-policy-4d1b"
B_MARKERS = ("Dana", "Lee", "#1049", B_SUBJECT, B_BODY.split(":")[0], B_POLICY_MARK)

# A valid body for each request schema a route may take, so the route's own check is what answers
# (not validation). A new request schema must be added here.
BODIES: dict[str, dict[str, Any]] = {
    "TicketIn": {"email": B_EMAIL, "message": "where is my order?"},
    "TicketCreateIn": {"email": B_EMAIL, "name": "Someone Else", "body": "where is my order?"},
    "ReplyIn": {"body": "Hello, we are on it."},
    "NoteIn": {"note": "done"},
    "EscalateIn": {"reason": "needs a senior"},
    "PolicyIn": {"source": default_policy_text()},
    "RestoreIn": {"version": 1},
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    operation: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def role(self) -> Any:
        return self.operation.get(ROLE_EXTENSION)

    @property
    def parameters(self) -> list[str]:
        return re.findall(r"\{([^}]+)\}", self.path)

    def body_schema(self, document: dict[str, Any]) -> str | None:
        content = self.operation.get("requestBody", {}).get("content", {})
        if not content:
            return None
        schema = next(iter(content.values())).get("schema", {})
        ref = schema.get("$ref") or next(
            (s.get("$ref") for s in schema.get("anyOf", []) if "$ref" in s), None
        )
        return ref.rsplit("/", 1)[-1] if ref else json.dumps(schema)


def published(app: FastAPI) -> list[Route]:
    document = app.openapi()
    return [
        Route(method, path, operation)
        for path, item in sorted(document["paths"].items())
        for method, operation in sorted(item.items())
        if method in METHODS
    ]


@dataclass
class World:
    """Merchant A (`default`) and B (`globex`), each with a machine key, an agent and an admin (personal
    keys); B holds a customer, a stored ticket and a stored policy."""

    client: TestClient
    document: dict[str, Any]
    keys: dict[str, dict[str, str]]  # "a_machine", "a_agent", "a_admin", "b_machine", "b_admin"
    b_ticket_id: int | None
    b_queue: str | None

    def path_for(self, route: Route) -> str:
        values: dict[str, Any] = {}
        for name in route.parameters:
            if name == "ticket_id":
                assert self.b_ticket_id is not None, f"{route.id}: B's ticket could not be made"
                values[name] = self.b_ticket_id
            elif name == "name":
                assert self.b_queue is not None, f"{route.id}: B's ticket has no queue"
                values[name] = self.b_queue
            elif name == "email":
                values[name] = B_EMAIL
            elif name == "version":
                values[name] = 1
            else:
                pytest.fail(f"{route.id}: path parameter {name!r} is unknown to the isolation test: add it")
        return route.path.format(**values)

    def send(self, route: Route, key: str | None) -> Any:
        schema = route.body_schema(self.document)
        body = None
        if schema is not None:
            if schema not in BODIES:
                pytest.fail(f"{route.id}: request body {schema} is unknown to the isolation test: add it")
            body = BODIES[schema]
        headers = self.keys[key] if key is not None else {}
        return self.client.request(route.method.upper(), self.path_for(route), json=body, headers=headers)


@pytest.fixture
def world(make_app: Callable[..., FastAPI], uow_factory: Callable[..., UnitOfWork]) -> World:
    app = make_app()  # creates A, the configured merchant `default`
    policy = default_policy_text() + f"\n{B_POLICY_MARK}\n"
    add_merchant(uow_factory, name="globex", policy_source=policy, policy_name="globex.yaml", now=NOW)
    assert not import_jsonl(uow_factory, path=STORE, merchant="globex").errors
    keys: dict[str, dict[str, str]] = {}
    for merchant, prefix in (("default", "a"), ("globex", "b")):
        keys[f"{prefix}_machine"] = bearer(create_key(uow_factory, merchant=merchant, now=NOW).secret)
        for role in ("agent", "admin"):
            email = f"{role}@{prefix}.test"
            add_user(uow_factory, merchant=merchant, email=email, role=role, password=PASSWORD, now=NOW)
            secret = create_key(uow_factory, merchant=merchant, user_email=email, now=NOW).secret
            keys[f"{prefix}_{role}"] = bearer(secret)
    client = TestClient(app, raise_server_exceptions=False)
    document = app.openapi()
    ticket_id, queue = None, None
    if "post" in document["paths"].get("/v1/tickets", {}):
        ticket = {"email": B_EMAIL, "name": "Dana Lee", "subject": B_SUBJECT, "body": B_BODY}
        created = client.post("/v1/tickets", json=ticket, headers=keys["b_machine"])
        assert created.status_code == 201, created.text
        ticket_id, queue = created.json()["ticket"]["id"], created.json()["ticket"]["queue"]
    return World(client, document, keys, ticket_id, queue)


def leaks(body: Any, world: World) -> list[str]:
    """B's words, or B's ticket id under an id key, anywhere in `body`."""
    found = [marker for marker in B_MARKERS if marker in json.dumps(body)]

    def walk(value: Any) -> Iterator[str]:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("id", "ticket_id") and world.b_ticket_id is not None and item == world.b_ticket_id:
                    yield f"{key}={item}"
                yield from walk(item)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item)

    return found + list(walk(body))


def test_every_published_route_is_classified(world: World) -> None:
    routes = published(world.client.app)  # type: ignore[arg-type]
    assert any(r.path.startswith("/v1/") for r in routes)
    for route in routes:
        if not route.path.startswith("/v1/"):
            known = PUBLIC | OWN_CREDENTIAL
            assert route.path in known, f"{route.id} is outside /v1 and not a known public route"
            continue
        assert route.role in ROLES, f"{route.id}: unknown {ROLE_EXTENSION} {route.role!r}"
        world.path_for(route)  # every path parameter is one the test can fill
        schema = route.body_schema(world.document)
        assert schema is None or schema in BODIES, f"{route.id}: request body {schema} unknown to the test"


def test_a_route_with_its_own_credential_refuses_every_merchant_key(world: World) -> None:
    routes = [r for r in published(world.client.app) if r.path in OWN_CREDENTIAL]  # type: ignore[arg-type]
    assert {r.path for r in routes} == OWN_CREDENTIAL
    answers = {(r.id, key): world.send(r, key) for r in routes for key in (None, *world.keys)}
    assert {k: a.status_code for k, a in answers.items() if a.status_code != 401} == {}
    assert {a.json()["error"]["code"] for a in answers.values()} == {"unauthenticated"}


def v1_routes(world: World) -> list[Route]:
    return [r for r in published(world.client.app) if r.path.startswith("/v1/")]  # type: ignore[arg-type]


def test_every_v1_route_without_credentials_is_a_401_error_body(world: World) -> None:
    answers = {route.id: world.send(route, None) for route in v1_routes(world)}
    wrong = {rid: (r.status_code, r.text[:200]) for rid, r in answers.items() if r.status_code != 401}
    assert wrong == {}
    assert {r.json()["error"]["code"] for r in answers.values()} == {"unauthenticated"}
    assert {r.headers["www-authenticate"] for r in answers.values()} == {"Bearer"}


def test_every_v1_route_refuses_a_forged_key(world: World) -> None:
    forged = "rk_00000000_" + "x" * 43
    world.keys["forged"] = bearer(forged)
    wrong = {r.id: world.send(r, "forged").status_code for r in v1_routes(world)}
    assert {rid: status for rid, status in wrong.items() if status != 401} == {}


def test_merchant_a_never_sees_merchant_bs_objects_on_any_route(world: World) -> None:
    problems: dict[str, str] = {}
    for route in v1_routes(world):
        answer = world.send(route, "a_admin")  # the strongest caller of A: no role check stops it first
        body = answer.json()
        if answer.status_code >= 500:
            problems[route.id] = f"{answer.status_code} {answer.text[:200]}"
        elif "ticket_id" in route.parameters and answer.status_code != 404:
            problems[route.id] = f"B's ticket answered {answer.status_code}, not 404"
        elif leaks(body, world):
            problems[route.id] = f"{answer.status_code} shows B's {leaks(body, world)}"
    assert problems == {}


def test_the_addresses_used_are_really_bs_objects(world: World) -> None:
    # The control: B's own admin reads each of them (so A's 404s above are isolation, not typos).
    reads = [r for r in v1_routes(world) if r.method == "get" and r.parameters]
    for route in reads:
        answer = world.send(route, "b_admin")
        assert answer.status_code == 200, f"{route.id} for B: {answer.status_code} {answer.text[:200]}"
        if "ticket_id" in route.parameters:
            assert B_SUBJECT in answer.text


@pytest.mark.parametrize(
    ("role", "key"), [("admin", "a_agent"), ("admin", "a_machine"), ("person", "a_machine")]
)
def test_a_route_marked_for_a_role_refuses_a_caller_without_it(world: World, role: str, key: str) -> None:
    marked = [r for r in v1_routes(world) if r.role == role or (role == "person" and r.role == "admin")]
    if not marked:
        pytest.skip(f"no route is marked {ROLE_EXTENSION}: {role} yet")
    answers = {route.id: world.send(route, key) for route in marked}
    assert {rid: a.status_code for rid, a in answers.items() if a.status_code != 403} == {}
    assert all(a.json()["error"]["code"] == "forbidden" for a in answers.values())


def test_a_route_without_a_role_mark_serves_a_machine_key(world: World) -> None:
    # The mark is the contract the test reads: an unmarked route must not refuse a machine key for its role.
    unmarked = [r for r in v1_routes(world) if r.role is None]
    assert unmarked
    refused = {r.id: world.send(r, "a_machine").status_code for r in unmarked}
    assert {rid: status for rid, status in refused.items() if status in (401, 403)} == {}
