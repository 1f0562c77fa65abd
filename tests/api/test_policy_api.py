"""The policy over the API: anyone of the merchant reads it; only an admin saves or restores a version."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rapport.policy import default_policy_text
from rapport.services.access import add_user, create_key
from rapport.store.unit_of_work import UnitOfWork

from .conftest import NOW, bearer

PASSWORD = "correct horse battery staple"


def person_key(uow_factory: Callable[..., UnitOfWork], email: str, role: str) -> dict[str, str]:
    add_user(uow_factory, merchant="default", email=email, role=role, password=PASSWORD, now=NOW)
    return bearer(create_key(uow_factory, merchant="default", user_email=email, now=NOW).secret)


@pytest.fixture
def desk(make_app: Callable[..., FastAPI], uow_factory: Callable[..., UnitOfWork]) -> dict:
    client = TestClient(make_app(), raise_server_exceptions=False)
    return {
        "client": client,
        "admin": person_key(uow_factory, "admin@acme.example", "admin"),
        "agent": person_key(uow_factory, "ana@acme.example", "agent"),
        "machine": bearer(create_key(uow_factory, merchant="default", now=NOW).secret),
    }


def test_a_merchant_without_a_stored_policy_reads_none(desk: dict) -> None:  # type: ignore[type-arg]
    answer = desk["client"].get("/v1/policy", headers=desk["agent"])
    assert answer.status_code == 200
    assert answer.json() == {"version": None, "source": None, "saved": None}


def test_an_admin_saves_a_version_that_everyone_of_the_merchant_then_reads(desk: dict) -> None:  # type: ignore[type-arg]
    source = default_policy_text().replace("max_refund: 500", "max_refund: 450", 1)
    saved = desk["client"].put(
        "/v1/policy", json={"source": source, "note": "vip refunds"}, headers=desk["admin"]
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 1
    assert saved.json()["author"] == "admin@acme.example"
    assert saved.json()["note"] == "vip refunds"
    current = desk["client"].get("/v1/policy", headers=desk["agent"]).json()
    assert (current["version"], current["source"]) == (1, source)


@pytest.mark.parametrize("who", ["agent", "machine"])
def test_only_an_admin_may_save_or_restore(desk: dict, who: str) -> None:  # type: ignore[type-arg]
    client = desk["client"]
    assert (
        client.put("/v1/policy", json={"source": default_policy_text()}, headers=desk["admin"]).status_code
        == 200
    )
    refused = client.put("/v1/policy", json={"source": default_policy_text()}, headers=desk[who])
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert client.post("/v1/policy/versions/1/restore", headers=desk[who]).status_code == 403
    assert [v["version"] for v in client.get("/v1/policy/versions", headers=desk[who]).json()] == [1]


def test_a_policy_with_a_mistake_is_refused_with_its_line_and_field_and_nothing_is_stored(desk: dict) -> None:  # type: ignore[type-arg]
    broken = default_policy_text().replace("max_refund: 500", "max_refund: lots", 1)
    assert broken != default_policy_text()
    answer = desk["client"].put("/v1/policy", json={"source": broken}, headers=desk["admin"])
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "policy_invalid"
    assert "max_refund" in error["message"]
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if "max_refund: lots" in text)
    assert f":{line}:" in error["message"]
    assert desk["client"].get("/v1/policy/versions", headers=desk["admin"]).json() == []


def test_a_stored_policy_may_not_name_a_folder_on_the_server(desk: dict) -> None:  # type: ignore[type-arg]
    source = "templates_dir: /etc\n" + default_policy_text()
    answer = desk["client"].put("/v1/policy", json={"source": source}, headers=desk["admin"])
    assert answer.status_code == 422
    assert "templates_dir" in answer.json()["error"]["message"]


def test_restoring_an_old_version_saves_it_again_as_the_newest(desk: dict) -> None:  # type: ignore[type-arg]
    client, admin = desk["client"], desk["admin"]
    first = default_policy_text()
    second = first.replace("max_refund: 500", "max_refund: 450", 1)
    for source in (first, second):
        assert client.put("/v1/policy", json={"source": source}, headers=admin).status_code == 200
    restored = client.post("/v1/policy/versions/1/restore", headers=admin)
    assert restored.status_code == 200
    assert (restored.json()["version"], restored.json()["note"]) == (3, "restored version 1")
    assert client.get("/v1/policy", headers=admin).json()["source"] == first
    assert client.post("/v1/policy/versions/9/restore", headers=admin).status_code == 404


def test_an_unsupported_method_names_every_method_the_path_answers(desk: dict) -> None:  # type: ignore[type-arg]
    answer = desk["client"].delete("/v1/policy", headers=desk["admin"])
    assert answer.status_code == 405
    assert set(answer.headers["allow"].split(", ")) == {"GET", "PUT"}
