"""GET /csat/{token} over a real store: a thank-you page for a genuine click, a 4xx page otherwise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from rapport.api import create_app
from rapport.bootstrap import build
from rapport.config import Settings
from rapport.policy import default_policy
from rapport.services.access import create_key
from rapport.services.csat import EVENT, survey_link, survey_links
from rapport.store.unit_of_work import UnitsOfWork

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SECRET = "csat-secret-for-api-tests"
BASE = "http://testserver"


@pytest.fixture
def client(uow_factory: UnitsOfWork) -> TestClient:
    settings = Settings(_env_file=None, csat_secret=SecretStr(SECRET))
    app = build(settings, policy=default_policy(), uow_factory=uow_factory, create_merchant=True)
    _ = app.merchant
    return TestClient(create_app(app, clock=lambda: NOW))


def a_ticket(client: TestClient, uow_factory: UnitsOfWork, merchant: str = "default") -> tuple[int, int]:
    """(merchant id, ticket id) of a ticket posted through the API by the merchant's help desk."""
    key = create_key(uow_factory, merchant=merchant, now=NOW, label="tests").secret
    response = client.post(
        "/v1/tickets",
        headers={"Authorization": f"Bearer {key}"},
        json={"email": "lena.novak@example.com", "subject": "Chipped", "body": "My bowls arrived chipped."},
    )
    assert response.status_code == 201, response.text
    with uow_factory() as uow:
        merchant_id = uow.merchants.get_or_create(merchant)
    return merchant_id, response.json()["ticket"]["id"]


def path_of(link: str) -> str:
    return link.removeprefix(BASE)


def scores(uow_factory: UnitsOfWork, merchant_id: int, ticket_id: int) -> list[object]:
    with uow_factory() as uow:
        events = uow.desk.events(merchant_id=merchant_id, ticket_id=ticket_id, kind=EVENT)
    return [(e.detail or {}).get("score") for e in events]


def test_a_click_thanks_the_customer_and_lands_on_the_ticket(
    client: TestClient, uow_factory: UnitsOfWork
) -> None:
    merchant_id, ticket_id = a_ticket(client, uow_factory)
    link = survey_link(BASE, merchant_id, ticket_id, 5, SECRET, NOW + timedelta(days=30))
    response = client.get(path_of(link))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Thank you!" in response.text
    assert "5 out of 5" in response.text
    assert scores(uow_factory, merchant_id, ticket_id) == [5]


def test_a_double_click_records_one_answer(client: TestClient, uow_factory: UnitsOfWork) -> None:
    merchant_id, ticket_id = a_ticket(client, uow_factory)
    link = survey_link(BASE, merchant_id, ticket_id, 4, SECRET, NOW + timedelta(days=30))
    assert client.get(path_of(link)).status_code == 200
    assert client.get(path_of(link)).status_code == 200
    assert scores(uow_factory, merchant_id, ticket_id) == [4]


def test_a_click_on_another_score_changes_the_answer(client: TestClient, uow_factory: UnitsOfWork) -> None:
    merchant_id, ticket_id = a_ticket(client, uow_factory)
    links = survey_links(BASE, merchant_id, ticket_id, SECRET, NOW + timedelta(days=30))
    client.get(path_of(links[0]))
    client.get(path_of(links[3]))
    assert scores(uow_factory, merchant_id, ticket_id)[-1] == 4


def test_a_forged_score_is_a_404_page_and_records_nothing(
    client: TestClient, uow_factory: UnitsOfWork
) -> None:
    merchant_id, ticket_id = a_ticket(client, uow_factory)
    link = survey_link(BASE, merchant_id, ticket_id, 1, SECRET, NOW + timedelta(days=30))
    forged = link.replace(f".{ticket_id}.1.", f".{ticket_id}.5.")
    response = client.get(path_of(forged))
    assert response.status_code == 404
    assert "This link is not valid" in response.text
    assert scores(uow_factory, merchant_id, ticket_id) == []


def test_a_link_signed_with_another_secret_is_a_404(client: TestClient, uow_factory: UnitsOfWork) -> None:
    merchant_id, ticket_id = a_ticket(client, uow_factory)
    link = survey_link(BASE, merchant_id, ticket_id, 5, "not-our-secret", NOW + timedelta(days=30))
    assert client.get(path_of(link)).status_code == 404


def test_an_expired_link_is_a_410_page(client: TestClient, uow_factory: UnitsOfWork) -> None:
    merchant_id, ticket_id = a_ticket(client, uow_factory)
    link = survey_link(BASE, merchant_id, ticket_id, 5, SECRET, NOW - timedelta(days=1))
    response = client.get(path_of(link))
    assert response.status_code == 410
    assert "expired" in response.text
    assert scores(uow_factory, merchant_id, ticket_id) == []


def test_a_link_to_another_merchants_ticket_is_a_404(client: TestClient, uow_factory: UnitsOfWork) -> None:
    merchant_id, ticket_id = a_ticket(client, uow_factory)
    with uow_factory() as uow:
        globex = uow.merchants.get_or_create("globex")
        uow.commit()
    link = survey_link(BASE, globex, ticket_id, 5, SECRET, NOW + timedelta(days=30))
    assert client.get(path_of(link)).status_code == 404
    assert scores(uow_factory, merchant_id, ticket_id) == []


@pytest.mark.parametrize("token", ["nonsense", "c1.1.1.5.1", "%00", "x" * 5000])
def test_garbage_is_a_404_page(client: TestClient, token: str) -> None:
    response = client.get(f"/csat/{token}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_without_a_csat_secret_every_link_is_a_404(uow_factory: UnitsOfWork) -> None:
    app = build(
        Settings(_env_file=None), policy=default_policy(), uow_factory=uow_factory, create_merchant=True
    )
    _ = app.merchant
    link = survey_link(BASE, 1, 1, 5, SECRET, NOW + timedelta(days=30))
    assert TestClient(create_app(app, clock=lambda: NOW)).get(path_of(link)).status_code == 404


def test_the_route_needs_no_key(client: TestClient, uow_factory: UnitsOfWork) -> None:
    merchant_id, ticket_id = a_ticket(client, uow_factory)
    link = survey_link(BASE, merchant_id, ticket_id, 3, SECRET, NOW + timedelta(days=30))
    response = client.get(path_of(link), headers={"Authorization": "Bearer rk_wrong_key"})
    assert response.status_code == 200


def test_the_desk_sees_the_answer_in_the_tickets_history(
    client: TestClient, uow_factory: UnitsOfWork
) -> None:
    merchant_id, ticket_id = a_ticket(client, uow_factory)
    client.get(path_of(survey_link(BASE, merchant_id, ticket_id, 2, SECRET, NOW + timedelta(days=30))))
    key = create_key(uow_factory, merchant="default", now=NOW, label="reader").secret
    ticket = client.get(f"/v1/tickets/{ticket_id}", headers={"Authorization": f"Bearer {key}"}).json()
    answered = [e for e in ticket["events"] if e["kind"] == "csat_answered"]
    assert [(e["detail"], e["actor"]) for e in answered] == [({"score": 2}, "customer (CSAT link)")]
