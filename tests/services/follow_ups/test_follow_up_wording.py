"""A claimed follow-up worded by the drafter: the segment's tone and brand from the merchant's policy,
the survey's signed links, the tenant looked up once per while rather than per message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import SecretStr

from rapport.domain.follow_ups import ClaimedFollowUp
from rapport.domain.merchant import Merchant
from rapport.policy import default_policy
from rapport.services.follow_ups.wording import CsatLinks, FollowUpWording
from rapport.services.tenancy import Tenant, brand_of

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
POLICY = default_policy()
TENANT = Tenant(
    merchant=Merchant(id=7, slug="acme", currency="USD"),
    policy=POLICY,
    brand=brand_of(POLICY),
    policy_version=None,
)


def claimed(kind: str = "satisfaction_survey") -> ClaimedFollowUp:
    return ClaimedFollowUp(
        id=41,
        merchant_id=7,
        ticket_id=1042,
        email="lena.novak@example.com",
        kind=kind,
        channel="email",
        sender="agent",
        attempts=1,
        lease_until=NOW + timedelta(minutes=5),
        segment="default",
        first_name="Lena",
        customer_name="Lena Novak",
        ticket_subject="Chipped bowl",
        intent="damaged_item",
    )


class CountingTenants:
    def __init__(self) -> None:
        self.lookups = 0

    def __call__(self, merchant_id: int) -> Tenant:
        self.lookups += 1
        return TENANT


def test_a_survey_carries_the_five_signed_answer_links() -> None:
    csat = CsatLinks("https://help.acme.example", SecretStr("s3cret"))
    _, body = FollowUpWording(CountingTenants(), lambda: NOW, csat)(claimed())
    assert body.count("https://help.acme.example/csat/") == 5
    assert "Lena" in body


def test_without_a_csat_secret_a_survey_has_no_links() -> None:
    _, body = FollowUpWording(CountingTenants(), lambda: NOW, CsatLinks("https://x.example", SecretStr("")))(
        claimed()
    )
    assert "/csat/" not in body


def test_the_merchants_tenant_is_looked_up_once_per_while_not_per_message() -> None:
    tenants = CountingTenants()
    clock = [NOW]
    wording = FollowUpWording(tenants, lambda: clock[0], tenant_ttl=timedelta(seconds=30))
    for _ in range(3):
        wording(claimed("check_in"))
    clock[0] = NOW + timedelta(seconds=31)
    wording(claimed("check_in"))
    assert tenants.lookups == 2
