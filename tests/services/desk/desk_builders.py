"""Builders for the desk's tests on the real store: a merchant, its people (two agents, a senior, an
admin), a machine key, and a way to post messages. Imported as `desk_builders`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rapport.domain import Intent, IntentReading
from rapport.domain.desk import Actor, Role
from rapport.domain.merchant import Merchant
from rapport.drafting.template_drafter import TemplateDrafter
from rapport.policy import Policy, default_policy
from rapport.services.desk.intake import IntakeResult, TicketIntake, take_in
from rapport.services.tenancy import Tenant, brand_of
from rapport.store.unit_of_work import UnitsOfWork
from store_builders import StoreBuilder

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
LENA = "lena.novak@example.com"  # a guest: standard queue, escalates to agent
DANA = "dana.lee@example.com"  # a VIP (spent 2,500): priority queue, escalates to senior


class DamagedReader:
    """Reads every message as a damaged item (the classifier is not what these tests are about)."""

    def classify(self, text: str) -> IntentReading:
        return IntentReading(intent=Intent.DAMAGED_ITEM, confidence=0.9, source="model")


@dataclass
class Desk:
    uow_factory: UnitsOfWork
    tenant: Tenant
    agent: Actor
    other_agent: Actor
    senior: Actor
    admin: Actor
    machine: Actor

    def post(
        self,
        *,
        email: str = LENA,
        body: str = "My bowl set arrived chipped.",
        at: timedelta = timedelta(0),
        **fields: str,
    ) -> IntakeResult:
        return take_in(
            self.uow_factory,
            tenant=self.tenant,
            actor=self.machine,
            classifier=DamagedReader(),
            drafter=TemplateDrafter(),
            intake=TicketIntake(
                email=email, body=body, now=NOW + at, name="Lena", subject="Chipped", **fields
            ),
        )


def make_desk(uow_factory: UnitsOfWork, slug: str = "acme", policy: Policy | None = None) -> Desk:
    store = StoreBuilder(uow_factory, now=NOW, merchant=slug)
    if slug == "acme":
        store.order(store.customer(email=DANA), total="2500.00", days_ago=5)
    policy = policy or default_policy()
    merchant = Merchant(id=store.merchant_id, slug=slug, currency=policy.currency)
    tenant = Tenant(merchant=merchant, policy=policy, brand=brand_of(policy), policy_version=None)
    people = {
        role: store.person(role, f"{name}@{slug}.test")
        for name, role in [("agent", Role.AGENT), ("senior", Role.SENIOR), ("admin", Role.ADMIN)]
    }
    return Desk(
        uow_factory=uow_factory,
        tenant=tenant,
        agent=people[Role.AGENT],
        other_agent=store.person(Role.AGENT, f"agent2@{slug}.test"),
        senior=people[Role.SENIOR],
        admin=people[Role.ADMIN],
        machine=Actor(merchant_id=merchant.id, role=Role.AGENT, label="key rk_test"),
    )
