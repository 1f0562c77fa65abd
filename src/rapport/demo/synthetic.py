"""A realistic synthetic store, written in the JSON Lines import format (seeded: same seed, same store).

The mix mirrors a small DTC shop: most customers buy once, some come back, a few spend a lot,
some subscribe to a monthly box, some are loyalty members, and a handful file claims often.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from faker import Faker

CATALOG: tuple[tuple[str, str], ...] = (
    ("Stoneware bowl set", "64.00"),
    ("Speckled coffee mug", "24.00"),
    ("Linen table runner", "38.00"),
    ("Ceramic pour-over dripper", "42.00"),
    ("Walnut serving board", "89.00"),
    ("Hand-thrown vase", "120.00"),
    ("Glazed dinner plates (4)", "96.00"),
    ("Cast iron skillet", "145.00"),
    ("Copper kettle", "210.00"),
    ("Chef's knife, 8 inch", "180.00"),
    ("Espresso cups (2)", "32.00"),
    ("Tea towel set", "18.00"),
)

# Customers the showcase talks about, by name: they exist in every generated store.
SHOWCASE = {
    "vip": "maria.alvarez@example.com",
    "subscriber": "sam.okafor@example.com",
    "first_time": "lena.fischer@example.com",
    "claims": "rob.harding@example.com",
}
SHOWCASE_IDS = frozenset({"c-maria", "c-sam", "c-lena", "c-rob"})


@dataclass(frozen=True)
class Persona:
    kind: str
    orders: tuple[int, int]  # min, max number of orders
    basket: tuple[int, int]  # min, max items per order
    tenure_days: tuple[int, int]


PERSONAS: tuple[tuple[Persona, float], ...] = (
    (Persona("first_time", (1, 1), (1, 2), (3, 200)), 0.42),
    (Persona("repeat", (2, 6), (1, 3), (120, 1400)), 0.30),
    (Persona("subscriber", (3, 24), (1, 1), (90, 900)), 0.12),
    (Persona("big_spender", (8, 30), (2, 5), (400, 2000)), 0.06),
    (Persona("prospect", (0, 0), (0, 0), (1, 60)), 0.07),
    (Persona("claimant", (3, 8), (1, 3), (200, 900)), 0.03),
)


class StoreGenerator:
    """Writes customers, orders, subscriptions and contacts relative to a fixed `now`."""

    def __init__(self, *, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.faker = Faker("en_US")
        self.faker.seed_instance(seed)
        self.now = now
        self._order_no = 1000

    def records(self, customers: int) -> Iterator[dict[str, Any]]:
        """All records of the store, customers first, each followed by its history."""
        yield from self._showcase_customers()
        weights = [w for _, w in PERSONAS]
        for i in range(customers):
            persona = self.rng.choices([p for p, _ in PERSONAS], weights)[0]
            first, last = self.faker.first_name(), self.faker.last_name()
            email = f"{first}.{last}.{i}@example.com".lower()
            yield from self._customer(f"c-{i}", email, first, last, persona)

    def write(self, path: Path, customers: int) -> int:
        """Write the store as JSON Lines; returns the number of records."""
        count = 0
        with path.open("w", encoding="utf-8") as out:
            for record in self.records(customers):
                out.write(json.dumps(record) + "\n")
                count += 1
        return count

    def _showcase_customers(self) -> Iterator[dict[str, Any]]:
        yield from self._customer(
            "c-maria",
            SHOWCASE["vip"],
            "Maria",
            "Alvarez",
            Persona("big_spender", (14, 14), (2, 3), (1700, 1700)),
        )
        yield from self._customer(
            "c-sam",
            SHOWCASE["subscriber"],
            "Sam",
            "Okafor",
            Persona("subscriber", (7, 7), (1, 1), (400, 400)),
        )
        yield from self._customer(
            "c-lena", SHOWCASE["first_time"], "Lena", "Fischer", Persona("first_time", (1, 1), (1, 1), (6, 6))
        )
        yield from self._customer(
            "c-rob", SHOWCASE["claims"], "Rob", "Harding", Persona("claimant", (4, 4), (1, 2), (500, 500))
        )

    def _customer(self, cid: str, email: str, first: str, last: str, p: Persona) -> Iterator[dict[str, Any]]:
        tenure = self.rng.randint(*p.tenure_days)
        created = self.now - timedelta(days=tenure, hours=self.rng.randint(0, 23))
        tags = self._tags(p)
        customer: dict[str, Any] = {
            "kind": "customer",
            "id": cid,
            "email": email,
            "first_name": first,
            "last_name": last,
            "created_at": created.isoformat(),
            "tags": tags,
            "locale": "en-US",
        }
        if "loyalty" in tags:
            customer["loyalty_tier"] = self.rng.choice(["bronze", "silver", "gold"])
            customer["loyalty_points"] = self.rng.randint(50, 4000)
        yield customer
        n_orders = self.rng.randint(*p.orders)
        dates = sorted(created + timedelta(days=self.rng.uniform(0, tenure)) for _ in range(n_orders))
        if dates and cid in SHOWCASE_IDS:
            # The showcase's damaged order is recent for everyone: delivered last week.
            dates[-1] = self.now - timedelta(days=8)
        for when in dates:
            yield self._order(cid, when, p)
        if p.kind == "subscriber":
            yield {
                "kind": "subscription",
                "id": f"s-{cid}",
                "customer_id": cid,
                "status": "active",
                "next_billing_at": (self.now + timedelta(days=self.rng.randint(1, 28))).isoformat(),
                "product": "Monthly ceramics club",
                "price": "29.00",
                "currency": "USD",
            }
        yield from self._contacts(cid, p)

    def _tags(self, p: Persona) -> list[str]:
        tags = []
        if p.kind in ("big_spender", "repeat") and self.rng.random() < 0.5:
            tags.append("loyalty")
        if p.kind == "subscriber":
            tags.append("subscriber")
        if self.rng.random() < 0.1:
            tags.append("newsletter")
        return tags

    def _order(self, cid: str, when: datetime, p: Persona) -> dict[str, Any]:
        self._order_no += 1
        items = [self.rng.choice(CATALOG) for _ in range(self.rng.randint(*p.basket))]
        if p.kind == "subscriber":
            items = [("Monthly ceramics club box", "29.00")]
        total = sum(float(price) for _, price in items)
        age = (self.now - when).days
        cancelled = self.rng.random() < 0.03
        fulfillment = "fulfilled" if age > 6 else self.rng.choice(["unfulfilled", "partial", "fulfilled"])
        return {
            "kind": "order",
            "id": self._order_no,
            "customer_id": cid,
            "name": f"#{self._order_no}",
            "created_at": when.isoformat(),
            "total": f"{total:.2f}",
            "currency": "USD",
            "financial_status": "voided" if cancelled else "paid",
            "fulfillment_status": "unfulfilled" if cancelled else fulfillment,
            "cancelled_at": when.isoformat() if cancelled else None,
            "line_items": [{"title": t, "quantity": 1, "price": price} for t, price in items],
        }

    def _contacts(self, cid: str, p: Persona) -> Iterator[dict[str, Any]]:
        if cid == "c-rob":
            yield from self._frequent_claims(cid)
            return
        count = self.rng.randint(3, 6) if p.kind == "claimant" else (1 if self.rng.random() < 0.15 else 0)
        for k in range(count):
            when = self.now - timedelta(days=self.rng.randint(2, 85 if p.kind == "claimant" else 400))
            offer, amount = self.rng.choice([("store_credit", "15.00"), ("refund", "24.00"), ("none", None)])
            yield {
                "kind": "contact",
                "id": f"k-{cid}-{k}",
                "customer_id": cid,
                "created_at": when.isoformat(),
                "intent": self.rng.choice(["damaged_item", "late_delivery", "missing_item", "wrong_item"]),
                "outcome": "resolved",
                "granted": None if amount is None else {"offer": offer, "amount": amount, "currency": "USD"},
            }

    def _frequent_claims(self, cid: str) -> Iterator[dict[str, Any]]:
        """The showcase's frequent claimant: three refunds in the last 90 days, 225.00 in all."""
        for k, (days_ago, intent, amount) in enumerate(
            [(20, "damaged_item", "64.00"), (45, "missing_item", "72.00"), (70, "wrong_item", "89.00")]
        ):
            yield {
                "kind": "contact",
                "id": f"k-{cid}-{k}",
                "customer_id": cid,
                "created_at": (self.now - timedelta(days=days_ago)).isoformat(),
                "intent": intent,
                "outcome": "resolved",
                "granted": {"offer": "refund", "amount": amount, "currency": "USD"},
            }
