"""Builders for the order-change tests: a merchant whose policy checks in three days after the delivery,
a ticket about an order, resolved, and a way to write that order again. Imported as
`order_change_builders`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from desk_builders import LENA, NOW, Desk, make_desk
from follow_up_builders import RESOLVED_AT, follow_ups_of

from rapport.domain.follow_ups import FollowUpEntry
from rapport.domain.records import OrderRecord
from rapport.policy import Policy, default_policy_text, parse_policy
from rapport.services.desk.lifecycle import claim, resolve
from rapport.services.ingestion.writer import IngestionWriter, WriteCounts
from rapport.store.unit_of_work import UnitsOfWork
from store_builders import StoreBuilder

SURVEY = "  default:    [{after: 7d, kind: satisfaction_survey}]"
AFTER_DELIVERY = (
    "  default:    [{after: 3d, kind: check_in, relative_to: delivery},"
    " {after: 7d, kind: satisfaction_survey}]"
)
POLICY_TEXT = default_policy_text().replace(SURVEY, AFTER_DELIVERY)
assert POLICY_TEXT != default_policy_text(), "the default policy's follow-ups changed: update SURVEY"
ORDER = "1042"


def delivery_policy(extra: str = "") -> Policy:
    return parse_policy(POLICY_TEXT + extra, "rapport.yaml")


def undelivered(**fields: object) -> OrderRecord:
    """Order #1042 as a source sends it: paid, not yet delivered."""
    record = OrderRecord(
        external_id=ORDER,
        customer_id=None,
        name=f"#{ORDER}",
        created_at=NOW - timedelta(days=2),
        total=Decimal("50.00"),
        currency="USD",
        customer_external_id="c-lena",
        email=LENA,
    )
    return replace(record, **fields)  # type: ignore[arg-type]


@dataclass
class OrderDesk:
    """A desk whose merchant has Lena and her order #1042, and her resolved ticket about it."""

    desk: Desk
    store: StoreBuilder
    ticket_id: int

    @property
    def units(self) -> UnitsOfWork:
        units: UnitsOfWork = self.desk.uow_factory
        return units

    @property
    def merchant_id(self) -> int:
        return int(self.desk.tenant.merchant.id)

    def follow_ups(self) -> dict[str, FollowUpEntry]:
        """The ticket's follow-ups by kind."""
        return {f.kind: f for f in follow_ups_of(self.units, self.merchant_id, self.ticket_id)}

    def write(self, record: OrderRecord, *, now: datetime, policy: Policy | None = None) -> WriteCounts:
        """Write the order again as the imports and webhooks do (through the ingestion writer)."""
        with self.units(write=True) as uow:
            writer = IngestionWriter(
                uow, merchant_id=self.merchant_id, currency="USD", now=now, policy=policy
            )
            writer.orders([record])
            uow.commit()
        return writer.counts


def order_desk(units: UnitsOfWork, *, policy: Policy, order: OrderRecord | None = None) -> OrderDesk:
    """Lena's order (undelivered unless `order` says otherwise) and her ticket about it, resolved."""
    desk = make_desk(units, slug="birch", policy=policy)
    store = StoreBuilder(units, now=NOW, merchant="birch")
    customer = store.customer(email=LENA, external_id="c-lena", first_name="Lena")
    record = replace(order or undelivered(), customer_id=customer)
    with units(write=True) as uow:
        uow.orders.upsert_many(merchant_id=store.merchant_id, records=[record])
        uow.commit()
    return OrderDesk(desk=desk, store=store, ticket_id=resolved_about_order(desk, at=RESOLVED_AT))


def resolved_about_order(desk: Desk, *, at: datetime) -> int:
    """Lena's ticket about order #1042 (stored already), claimed and resolved at `at`; its id."""
    ticket_id: int = desk.post(email=LENA, order=f"#{ORDER}").view.ticket.id
    claim(desk.uow_factory, tenant=desk.tenant, actor=desk.agent, ticket_id=ticket_id, now=NOW)
    resolve(desk.uow_factory, tenant=desk.tenant, actor=desk.agent, ticket_id=ticket_id, now=at)
    return ticket_id
