"""The data a fake shop serves, in the exact shapes of Shopify's GraphQL Admin API (dev and tests only)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

PRODUCTS = (
    ("Stoneware bowl set", "BOWL-SET", Decimal("64.00")),
    ("Ceramic pour-over dripper", "DRIP-01", Decimal("42.00")),
    ("Linen apron", "APRON-LN", Decimal("38.50")),
    ("Copper kettle", "KETTLE-CU", Decimal("120.00")),
    ("Monthly ceramics club box", "CLUB-BOX", Decimal("29.00")),
)
FIRST = ("Dana", "Lena", "Sam", "Priya", "Marco", "Yuki", "Omar", "Ines", "Theo", "Ada")
LAST = ("Lee", "Fischer", "Okafor", "Shah", "Rossi", "Tanaka", "Haddad", "Silva", "Berg", "Novak")


def iso(moment: datetime) -> str:
    """Shopify's DateTime scalar: UTC with a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def money(amount: Decimal, currency: str = "USD") -> dict[str, str]:
    """A MoneyV2 value."""
    return {"amount": str(amount), "currencyCode": currency}


@dataclass
class FakeLineItem:
    id: int
    title: str
    sku: str
    quantity: int
    price: Decimal
    selling_plan: str | None = None

    def node(self) -> dict[str, Any]:
        plan = None
        if self.selling_plan:
            plan = {"name": self.selling_plan, "sellingPlanId": f"gid://shopify/SellingPlan/{self.id}"}
        return {
            "id": f"gid://shopify/LineItem/{self.id}",
            "title": self.title,
            "quantity": self.quantity,
            "sku": self.sku,
            "originalUnitPriceSet": {"shopMoney": money(self.price)},
            "sellingPlan": plan,
        }


@dataclass
class FakeOrder:
    id: int
    number: int
    customer_id: int
    created_at: datetime
    updated_at: datetime
    financial: str = "PAID"
    fulfillment: str = "FULFILLED"
    cancelled_at: datetime | None = None
    refunded: Decimal = Decimal("0.00")
    line_items: list[FakeLineItem] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((li.price * li.quantity for li in self.line_items), Decimal("0.00"))

    def node(self) -> dict[str, Any]:
        refunds = []
        if self.refunded:
            refunds.append(
                {
                    "id": f"gid://shopify/Refund/{self.id}",
                    "createdAt": iso(self.updated_at),
                    "totalRefundedSet": {"shopMoney": money(self.refunded)},
                }
            )
        return {
            "id": f"gid://shopify/Order/{self.id}",
            "name": f"#{self.number}",
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "cancelledAt": iso(self.cancelled_at) if self.cancelled_at else None,
            "displayFinancialStatus": self.financial,
            "displayFulfillmentStatus": self.fulfillment,
            "totalPriceSet": {"shopMoney": money(self.total)},
            "refunds": refunds,
            "customer": {"id": f"gid://shopify/Customer/{self.customer_id}"},
        }


@dataclass
class FakeCustomer:
    id: int
    email: str
    first_name: str
    last_name: str
    created_at: datetime
    updated_at: datetime
    tags: list[str] = field(default_factory=list)
    locale: str = "en"
    orders: list[FakeOrder] = field(default_factory=list)

    @property
    def amount_spent(self) -> Decimal:
        return sum((o.total - o.refunded for o in self.orders if o.cancelled_at is None), Decimal("0.00"))

    def node(self) -> dict[str, Any]:
        return {
            "id": f"gid://shopify/Customer/{self.id}",
            "email": self.email,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "locale": self.locale,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "tags": list(self.tags),
            "numberOfOrders": str(len(self.orders)),  # UnsignedInt64 is a string in JSON
            "amountSpent": money(self.amount_spent),
        }


@dataclass
class FakeShopData:
    """Customers with their orders and line items; ids are stable for a given seed."""

    customers: list[FakeCustomer] = field(default_factory=list)

    def bulk_jsonl(self, *, updated_since: datetime | None = None) -> Iterator[bytes]:
        """Bulk-operation output: one object per line, children after parents, linked by `__parentId`."""
        for customer in self.customers:
            if updated_since and customer.updated_at <= updated_since:
                continue
            parent = f"gid://shopify/Customer/{customer.id}"
            yield _line(customer.node())
            for order in customer.orders:
                order_node = order.node()
                del order_node["customer"]  # in a nested bulk query the link is __parentId
                yield _line({**order_node, "__parentId": parent})
                for item in order.line_items:
                    yield _line({**item.node(), "__parentId": order_node["id"]})

    def customer(self, customer_id: int) -> FakeCustomer:
        return next(c for c in self.customers if c.id == customer_id)


def _line(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


def dana_lee(now: datetime) -> FakeCustomer:
    """The customer the docs walkthrough looks up: two orders, $184.00 spent, a loyalty tag."""
    created = now - timedelta(days=700)
    orders = [
        FakeOrder(
            id=7001,
            number=1001,
            customer_id=1001,
            created_at=now - timedelta(days=400),
            updated_at=now - timedelta(days=399),
            line_items=[FakeLineItem(70011, "Copper kettle", "KETTLE-CU", 1, Decimal("120.00"))],
        ),
        FakeOrder(
            id=7002,
            number=1002,
            customer_id=1001,
            created_at=now - timedelta(days=20),
            updated_at=now - timedelta(days=18),
            line_items=[FakeLineItem(70021, "Stoneware bowl set", "BOWL-SET", 1, Decimal("64.00"))],
        ),
    ]
    return FakeCustomer(
        id=1001,
        email="dana.lee@example.com",
        first_name="Dana",
        last_name="Lee",
        created_at=created,
        updated_at=now - timedelta(days=18),
        tags=["loyalty:gold", "newsletter"],
        orders=orders,
    )


def build_shop(*, customers: int, seed: int = 7, now: datetime | None = None) -> FakeShopData:
    """A seeded shop of `customers` customers (the first is always Dana Lee of the docs)."""
    now = now or datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    rng = random.Random(seed)
    shop = FakeShopData(customers=[dana_lee(now)] if customers else [])
    for n in range(1, customers):
        cid = 1001 + n
        created = now - timedelta(days=rng.randint(30, 1500))
        tags = rng.choice([[], [], ["vip"], ["subscription"], ["loyalty:silver"], ["gold"]])
        customer = FakeCustomer(
            id=cid,
            email=f"customer{cid}@example.com",
            first_name=rng.choice(FIRST),
            last_name=rng.choice(LAST),
            created_at=created,
            updated_at=created,
            tags=list(tags),
        )
        for k in range(rng.randint(0, 4)):
            oid = cid * 10 + k
            placed = created + timedelta(days=rng.randint(1, max(1, (now - created).days - 1)))
            order = FakeOrder(
                id=oid,
                number=oid,
                customer_id=cid,
                created_at=placed,
                updated_at=placed + timedelta(hours=3),
                fulfillment=rng.choice(["FULFILLED", "FULFILLED", "UNFULFILLED", "PARTIALLY_FULFILLED"]),
            )
            for j in range(rng.randint(1, 3)):
                title, sku, price = rng.choice(PRODUCTS)
                plan = "Monthly delivery" if sku == "CLUB-BOX" else None
                order.line_items.append(
                    FakeLineItem(oid * 10 + j, title, sku, rng.randint(1, 2), price, plan)
                )
            customer.orders.append(order)
            customer.updated_at = max(customer.updated_at, order.updated_at)
        shop.customers.append(customer)
    return shop
