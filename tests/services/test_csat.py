"""The one-click CSAT link: signed, expiring, bound to its merchant's ticket; the latest click wins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from rapport.domain import Intent, IntentReading
from rapport.domain.desk import Actor, Role
from rapport.domain.merchant import Merchant
from rapport.drafting.template_drafter import TemplateDrafter
from rapport.policy import default_policy
from rapport.services.csat import (
    EVENT,
    CsatDisabled,
    CsatLinkExpired,
    CsatLinkInvalid,
    record_answer,
    survey_link,
    survey_links,
    verify,
)
from rapport.services.desk.intake import TicketIntake, take_in
from rapport.services.tenancy import Tenant, brand_of
from rapport.store.unit_of_work import UnitsOfWork
from store_builders import StoreBuilder

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SECRET = SecretStr("csat-secret-for-tests")
BASE = "https://desk.acme.example"
IN_30_DAYS = NOW + timedelta(days=30)


class DamagedReader:
    def classify(self, text: str) -> IntentReading:
        return IntentReading(intent=Intent.DAMAGED_ITEM, confidence=0.9, source="model")


def a_ticket(uow_factory: UnitsOfWork, merchant: str = "acme") -> tuple[int, int]:
    """(merchant id, ticket id) of Lena's chipped bowls, taken in at the merchant's desk."""
    store = StoreBuilder(uow_factory, now=NOW, merchant=merchant)
    policy = default_policy()
    tenant = Tenant(
        merchant=Merchant(id=store.merchant_id, slug=merchant, currency=policy.currency),
        policy=policy,
        brand=brand_of(policy),
        policy_version=None,
    )
    result = take_in(
        uow_factory,
        tenant=tenant,
        actor=Actor(merchant_id=store.merchant_id, role=Role.AGENT, label="key rk_test"),
        classifier=DamagedReader(),
        drafter=TemplateDrafter(),
        intake=TicketIntake(email="lena.novak@example.com", body="My bowls arrived chipped.", now=NOW),
    )
    return store.merchant_id, result.view.ticket.id


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def answers(uow_factory: UnitsOfWork, merchant_id: int, ticket_id: int) -> list[dict[str, object] | None]:
    with uow_factory() as uow:
        return [e.detail for e in uow.desk.events(merchant_id=merchant_id, ticket_id=ticket_id, kind=EVENT)]


def test_a_link_verifies_to_the_merchant_ticket_and_score_it_was_made_for() -> None:
    link = survey_link(BASE, 3, 41, 4, SECRET, IN_30_DAYS)
    assert link.startswith(f"{BASE}/csat/c1.3.41.4.")
    claim = verify(token_of(link), secret=SECRET, now=NOW)
    assert (claim.merchant_id, claim.ticket_id, claim.score) == (3, 41, 4)


def test_a_survey_has_one_link_per_score_in_order() -> None:
    links = survey_links(BASE, 3, 41, SECRET, IN_30_DAYS)
    assert [verify(token_of(link), secret=SECRET, now=NOW).score for link in links] == [1, 2, 3, 4, 5]


def test_a_score_outside_one_to_five_makes_no_link() -> None:
    with pytest.raises(ValueError, match="1 to 5"):
        survey_link(BASE, 3, 41, 6, SECRET, IN_30_DAYS)


def test_a_link_with_another_score_written_in_is_refused() -> None:
    token = token_of(survey_link(BASE, 3, 41, 1, SECRET, IN_30_DAYS))
    forged = token.replace("c1.3.41.1.", "c1.3.41.5.")
    with pytest.raises(CsatLinkInvalid):
        verify(forged, secret=SECRET, now=NOW)


def test_a_link_signed_with_another_secret_is_refused() -> None:
    token = token_of(survey_link(BASE, 3, 41, 5, SecretStr("someone-else"), IN_30_DAYS))
    with pytest.raises(CsatLinkInvalid):
        verify(token, secret=SECRET, now=NOW)


@pytest.mark.parametrize(
    "token", ["", "hello", "c1.3.41.5.999", "c1.3.41.5.1798761600." + "A" * 44, "../etc"]
)
def test_a_malformed_token_is_refused(token: str) -> None:
    with pytest.raises(CsatLinkInvalid):
        verify(token, secret=SECRET, now=NOW)


def test_an_expired_link_is_refused_with_its_date() -> None:
    token = token_of(survey_link(BASE, 3, 41, 5, SECRET, NOW - timedelta(seconds=1)))
    with pytest.raises(CsatLinkExpired, match="2026-11-20"):
        verify(token, secret=SECRET, now=NOW)


def test_without_a_secret_no_link_is_made_or_checked() -> None:
    with pytest.raises(CsatDisabled, match="RAPPORT_CSAT_SECRET"):
        survey_link(BASE, 3, 41, 5, "", IN_30_DAYS)
    with pytest.raises(CsatDisabled):
        verify("c1.3.41.5.1798761600." + "A" * 43, secret=SecretStr(""), now=NOW)


def test_a_click_records_the_score_on_the_ticket(uow_factory: UnitsOfWork) -> None:
    merchant_id, ticket_id = a_ticket(uow_factory)
    token = token_of(survey_link(BASE, merchant_id, ticket_id, 4, SECRET, IN_30_DAYS))
    answer = record_answer(uow_factory, token=token, secret=SECRET, now=NOW)
    assert (answer.ticket_id, answer.score, answer.changed) == (ticket_id, 4, True)
    assert answers(uow_factory, merchant_id, ticket_id) == [{"score": 4}]


def test_a_second_click_on_the_same_score_records_nothing_more(uow_factory: UnitsOfWork) -> None:
    merchant_id, ticket_id = a_ticket(uow_factory)
    token = token_of(survey_link(BASE, merchant_id, ticket_id, 4, SECRET, IN_30_DAYS))
    record_answer(uow_factory, token=token, secret=SECRET, now=NOW)
    again = record_answer(uow_factory, token=token, secret=SECRET, now=NOW + timedelta(minutes=1))
    assert again.changed is False
    assert answers(uow_factory, merchant_id, ticket_id) == [{"score": 4}]


def test_a_click_on_another_score_changes_the_answer(uow_factory: UnitsOfWork) -> None:
    merchant_id, ticket_id = a_ticket(uow_factory)
    links = survey_links(BASE, merchant_id, ticket_id, SECRET, IN_30_DAYS)
    record_answer(uow_factory, token=token_of(links[1]), secret=SECRET, now=NOW)
    record_answer(uow_factory, token=token_of(links[4]), secret=SECRET, now=NOW + timedelta(minutes=1))
    assert answers(uow_factory, merchant_id, ticket_id)[-1] == {"score": 5}


def test_a_link_naming_another_merchants_ticket_records_nothing(uow_factory: UnitsOfWork) -> None:
    acme, ticket_id = a_ticket(uow_factory, "acme")
    globex = StoreBuilder(uow_factory, now=NOW, merchant="globex").merchant_id
    token = token_of(survey_link(BASE, globex, ticket_id, 1, SECRET, IN_30_DAYS))
    with pytest.raises(CsatLinkInvalid):
        record_answer(uow_factory, token=token, secret=SECRET, now=NOW)
    assert answers(uow_factory, acme, ticket_id) == []


def test_the_answer_is_logged_as_the_customers(uow_factory: UnitsOfWork) -> None:
    merchant_id, ticket_id = a_ticket(uow_factory)
    token = token_of(survey_link(BASE, merchant_id, ticket_id, 3, SECRET, IN_30_DAYS))
    record_answer(uow_factory, token=token, secret=SECRET, now=NOW)
    with uow_factory() as uow:
        (event,) = uow.desk.events(merchant_id=merchant_id, ticket_id=ticket_id, kind=EVENT)
    assert event.actor_label == "customer (CSAT link)"
    assert (event.actor_user_id, event.actor_key_id) == (None, None)
