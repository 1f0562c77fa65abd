"""The rows of a large, realistic synthetic store: `rapport synth` and the benchmarks write them.

Pure generation (no I/O, no clock): one `random.Random(seed)` draws every value in customer order, so the
same seed, `now` and first ids give the same rows whatever the chunk size. Rows are plain dicts keyed by
column name, grouped by table name (`TABLES`, parents first), ready for a Core `executemany` or a COPY;
every row of a table has the same keys.

What the store looks like (the shares are the generator's, the tests check them within bands):
  - orders: ~10 % of customers never ordered; the others' counts are geometric with the mean that gives
    `orders_per_customer` over everyone, so a few buy very often (skewed spend, repeat buyers); each
    order has 1-4 line items from a catalog with log-normal prices, and its total is its items' sum plus
    shipping under the free-shipping threshold; ~2 % cancelled, a few refunded, voided or pending;
  - subscriptions for ~10 % of buyers (80 % of them active);
  - a loyalty programme for ~60 % of customers: tier and points follow their spend, tagged `loyalty`;
    `vip` for big spenders, `wholesale` for ~2 %, `newsletter` for those who accept marketing;
  - past support contacts for ~25 % of customers, about half of which granted something, and
    desk grants in the ledger for ~3 %;
  - open tickets for ~1 % of customers (`services.synthetic_tickets`), each with its first message, its
    `created` event and a decision in the stored decision's shape (queue and priority as the default
    policy routes the customer's segment; not run through the engine).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from rapport.domain.errors import InvalidInput
from rapport.services.synthetic_tickets import GeneratedCustomer, open_ticket


def _urn(weighted: tuple[tuple[Any, int], ...]) -> tuple[Any, ...]:
    """Each value repeated by its weight: `urn[int(random() * len(urn))]` draws by weight, and much faster
    than `Random.choices` (which builds the cumulative weights at every call)."""
    return tuple(value for value, weight in weighted for _ in range(weight))


Row = dict[str, Any]
Batch = dict[str, list[Row]]

# Parents before children: a writer that inserts in this order never breaks a foreign key.
TABLES = (
    "customers",
    "orders",
    "order_line_items",
    "subscriptions",
    "customer_tags",
    "support_contacts",
    "tickets",
    "decisions",
    "ticket_messages",
    "ticket_events",
    "grants",
)
# The tables whose rows carry an explicit `id` (customer_tags' key is (customer_id, tag)).
WITH_IDS = tuple(t for t in TABLES if t != "customer_tags")

MAX_CUSTOMERS = 10_000_000
MAX_ORDERS_PER_CUSTOMER = 50.0
MAX_ORDERS_OF_ONE = 200
BUYER_SHARE = 0.9
FREE_SHIPPING_FROM = Decimal("50.00")
SHIPPING = Decimal("4.95")
CENT = Decimal("0.01")

FIRST_NAMES = (
    "Ava", "Ben", "Chloe", "Daniel", "Emma", "Finn", "Grace", "Hugo", "Isla", "Jack", "Kai", "Lena",
    "Mia", "Noah", "Olivia", "Paul", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Victor", "Wen", "Yara", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Adams", "Brown", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jones", "Kim",
    "Lopez", "Martin", "Nguyen", "Okafor", "Patel", "Rossi", "Silva", "Taylor", "Weber", "Young",
)  # fmt: skip
LOCALES = _urn((("en-US", 70), ("en-GB", 10), ("fr-FR", 7), ("de-DE", 7), ("es-ES", 6)))
PRODUCTS = tuple(
    (f"{adjective} {thing}", f"SKU-{index:04d}", Decimal(price))
    for index, (adjective, thing, price) in enumerate(
        (a, t, p)
        for a in ("Classic", "Organic", "Deluxe", "Travel", "Everyday", "Limited")
        for t, p in (
            ("Coffee Beans", "14.90"),
            ("Tea Sampler", "22.00"),
            ("Ceramic Mug", "18.50"),
            ("Grinder", "89.00"),
            ("Kettle", "64.00"),
            ("Gift Box", "45.00"),
            ("Filters", "6.50"),
            ("Espresso Machine", "349.00"),
            ("Tumbler", "27.00"),
            ("Cold Brew Kit", "39.00"),
        )  # fmt: skip
    )
)
SUBSCRIPTION_PRODUCTS = (("Coffee Club", Decimal("24.00")), ("Tea of the Month", Decimal("19.00")))
FINANCIAL = _urn((("paid", 86), ("partially_refunded", 4), ("refunded", 5), ("voided", 2), ("pending", 3)))
ITEM_COUNTS = _urn(((1, 55), (2, 28), (3, 12), (4, 5)))
QUANTITIES = _urn(((1, 85), (2, 12), (3, 3)))
NOT_SPENDING = frozenset({"voided", "refunded"})
CONTACT_INTENTS = _urn((
    ("where_is_my_order", 30), ("damaged_item", 15), ("return_request", 15), ("late_delivery", 10),
    ("refund_request", 10), ("product_question", 10), ("subscription_change", 5), ("billing_issue", 5),
))  # fmt: skip
CONTACT_GRANTS = _urn(
    ((None, 50), ("refund", 8), ("partial_refund", 14), ("store_credit", 16), ("replacement", 12))
)
TIERS = (
    (Decimal(3000), "platinum"),
    (Decimal(1200), "gold"),
    (Decimal(400), "silver"),
    (Decimal(0), "bronze"),
)


@dataclass(frozen=True, slots=True)
class SyntheticStore:
    """What to generate: how many customers, how many orders each on average, from which seed, as of when."""

    customers: int
    now: datetime
    orders_per_customer: float = 5.0
    seed: int = 14
    currency: str = "USD"

    def __post_init__(self) -> None:
        if not 1 <= self.customers <= MAX_CUSTOMERS:
            raise InvalidInput(f"customers: 1 to {MAX_CUSTOMERS:,} (got {self.customers})")
        if not 0 <= self.orders_per_customer <= MAX_ORDERS_PER_CUSTOMER:
            raise InvalidInput(
                f"orders per customer: 0 to {MAX_ORDERS_PER_CUSTOMER:g} on average "
                f"(got {self.orders_per_customer})"
            )
        if self.now.tzinfo is None:
            raise InvalidInput("now: a time with its UTC offset")


def batches(
    store: SyntheticStore,
    *,
    merchant_id: int,
    first_ids: Mapping[str, int] | None = None,
    chunk: int = 20_000,
) -> Iterator[Batch]:
    """The store's rows, `chunk` customers at a time. `first_ids[table]` is the id its first row gets
    (default 1): a store that already holds other merchants' rows continues after theirs."""
    writer = _Generator(store, merchant_id, {t: (first_ids or {}).get(t, 1) for t in WITH_IDS})
    for start in range(0, store.customers, chunk):
        yield writer.batch(start, min(start + chunk, store.customers))


def email_of(number: int, width: int = 7) -> str:
    """The e-mail of the store's `number`th customer (1-based), as generated."""
    first, last = _name_of(number)
    return f"{first.lower()}.{last.lower()}.{number:0{width}d}@example.com"


def _name_of(number: int) -> tuple[str, str]:
    return FIRST_NAMES[number % len(FIRST_NAMES)], LAST_NAMES[(number // len(FIRST_NAMES)) % len(LAST_NAMES)]


def _geometric_scale(mean: float) -> float:
    """The exponential's mean θ such that 1 + floor(Exp(θ)) has this mean (>= 1)."""
    return 0.0 if mean <= 1 else 1 / math.log(1 + 1 / (mean - 1))


def _money(value: float) -> Decimal:
    return Decimal(round(value * 100)) * CENT


class _Generator:
    def __init__(self, store: SyntheticStore, merchant_id: int, first_ids: dict[str, int]) -> None:
        self.store = store
        self.merchant_id = merchant_id
        self.rng = random.Random(store.seed)
        self.next_id = dict(first_ids)
        self.now = store.now.astimezone(UTC)
        self.width = max(7, len(str(store.customers)))
        self.buyers = min(BUYER_SHARE, store.orders_per_customer)
        mean_of_buyers = store.orders_per_customer / self.buyers if self.buyers else 0.0
        self.order_scale = _geometric_scale(mean_of_buyers)
        self.order_number = 0
        self.recent = self.now - timedelta(days=3)  # orders newer than this are often not shipped yet

    def _id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def batch(self, start: int, stop: int) -> Batch:
        rows: Batch = {table: [] for table in TABLES}
        for number in range(start + 1, stop + 1):
            self._customer(rows, number)
        return rows

    def _customer(self, rows: Batch, number: int) -> None:
        rng = self.rng
        first, last = _name_of(number)
        created = self.now - timedelta(seconds=rng.uniform(3_600, 1_500 * 86_400))
        customer = GeneratedCustomer(self._id("customers"), email_of(number, self.width), first, created)
        if rng.random() < self.buyers:
            self._orders(rows, customer)
        self._subscription(rows, customer)
        member = rng.random() < 0.6
        marketing = rng.random() < 0.35
        rows["customers"].append(
            {
                "id": customer.id,
                "merchant_id": self.merchant_id,
                "external_id": str(7_000_000_000_000 + number),
                "email": customer.email,
                "first_name": first,
                "last_name": last,
                "locale": LOCALES[int(rng.random() * len(LOCALES))],
                "created_at": created,
                "loyalty_tier": next(t for floor, t in TIERS if customer.spent >= floor) if member else None,
                "loyalty_points": int(customer.spent * Decimal(rng.uniform(0.2, 1.0))) if member else 0,
                "accepts_marketing": marketing,
                "updated_at": None,
            }
        )
        self._tags(rows, customer, member=member, marketing=marketing)
        self._contacts(rows, customer)
        self._grant(rows, customer)
        if rng.random() < 0.01:
            open_ticket(rows, self.rng, self._id, self.merchant_id, self.store.currency, self.now, customer)

    def _orders(self, rows: Batch, customer: GeneratedCustomer) -> None:
        rng = self.rng
        count = min(
            MAX_ORDERS_OF_ONE, 1 + int(rng.expovariate(1 / self.order_scale)) if self.order_scale else 1
        )
        span = (self.now - customer.created).total_seconds()
        offsets = sorted(rng.random() * span for _ in range(count))
        bulk_buyer = rng.random() < 0.03
        for offset in offsets:
            self._order(rows, customer, customer.created + timedelta(seconds=offset), bulk_buyer)

    def _order(self, rows: Batch, customer: GeneratedCustomer, created: datetime, bulk_buyer: bool) -> None:
        random = self.rng.random
        order_id = self.next_id["orders"]
        self.next_id["orders"] = order_id + 1
        self.order_number += 1
        items = rows["order_line_items"]
        item_id = self.next_id["order_line_items"]
        subtotal = Decimal(0)
        for position in range(ITEM_COUNTS[int(random() * len(ITEM_COUNTS))]):
            title, sku, price = PRODUCTS[int(random() * len(PRODUCTS))]
            quantity = 3 + int(random() * 10) if bulk_buyer else QUANTITIES[int(random() * len(QUANTITIES))]
            subtotal += price * quantity
            items.append(
                {
                    "id": item_id,
                    "merchant_id": self.merchant_id,
                    "order_id": order_id,
                    "position": position,
                    "title": title,
                    "quantity": quantity,
                    "price": price,
                    "sku": sku,
                }
            )
            item_id += 1
        self.next_id["order_line_items"] = item_id
        status = FINANCIAL[int(random() * len(FINANCIAL))]
        cancelled = None
        if random() < 0.02:
            cancelled = min(self.now, created + timedelta(seconds=3_600 + random() * 47 * 3_600))
        fulfilled = "unfulfilled" if created > self.recent and random() < 0.7 else "fulfilled"
        if cancelled is not None or status in NOT_SPENDING:
            fulfilled = "restocked" if fulfilled == "fulfilled" and random() < 0.5 else "unfulfilled"
        total = subtotal + SHIPPING if subtotal < FREE_SHIPPING_FROM else subtotal
        name = f"#{1_000_000 + self.order_number}"
        rows["orders"].append(
            {
                "id": order_id,
                "merchant_id": self.merchant_id,
                "external_id": str(5_000_000_000_000 + self.order_number),
                "customer_id": customer.id,
                "name": name,
                "created_at": created,
                "total": total,
                "currency": self.store.currency,
                "financial_status": status,
                "fulfillment_status": fulfilled,
                "cancelled_at": cancelled,
                "updated_at": None,
            }
        )
        if cancelled is None and status not in NOT_SPENDING:
            customer.spent += total
            customer.counted_orders += 1
        customer.order_ids.append(order_id)
        customer.order_names.append(name)

    def _subscription(self, rows: Batch, customer: GeneratedCustomer) -> None:
        rng = self.rng
        if not customer.order_ids or rng.random() >= 0.1:
            return
        active = rng.random() < 0.8
        product, price = rng.choice(SUBSCRIPTION_PRODUCTS)
        customer.subscribed = active
        subscription_id = self._id("subscriptions")
        rows["subscriptions"].append(
            {
                "id": subscription_id,
                "merchant_id": self.merchant_id,
                "external_id": f"sub-{subscription_id}",
                "customer_id": customer.id,
                "status": "active" if active else "cancelled",
                "product": product,
                "price": price,
                "currency": self.store.currency,
                "next_billing_at": self.now + timedelta(days=rng.uniform(1, 30)) if active else None,
            }
        )

    def _tags(self, rows: Batch, customer: GeneratedCustomer, *, member: bool, marketing: bool) -> None:
        wanted = (
            ("loyalty", member),
            ("vip", customer.spent >= 2000),
            ("wholesale", self.rng.random() < 0.02),
            ("newsletter", marketing),
        )
        for tag, present in wanted:
            if present:
                customer.tags.append(tag)
                rows["customer_tags"].append(
                    {"customer_id": customer.id, "tag": tag, "merchant_id": self.merchant_id}
                )

    def _contacts(self, rows: Batch, customer: GeneratedCustomer) -> None:
        rng = self.rng
        if rng.random() >= 0.25:
            return
        span = min(540 * 86_400.0, (self.now - customer.created).total_seconds())
        for _ in range(min(8, 1 + int(rng.expovariate(1 / 0.6)))):
            offer = CONTACT_GRANTS[int(rng.random() * len(CONTACT_GRANTS))]
            amount = None
            if offer in ("refund", "partial_refund", "store_credit"):
                amount = _money(rng.uniform(5, 80 if offer == "refund" else 40))
            contact_id = self._id("support_contacts")
            rows["support_contacts"].append(
                {
                    "id": contact_id,
                    "merchant_id": self.merchant_id,
                    "external_id": f"contact-{contact_id}",
                    "customer_id": customer.id,
                    "created_at": self.now - timedelta(seconds=rng.uniform(0, span)),
                    "intent": CONTACT_INTENTS[int(rng.random() * len(CONTACT_INTENTS))],
                    "outcome": "resolved",
                    "granted_offer": offer,
                    "granted_amount": amount,
                    "granted_currency": None if amount is None else self.store.currency,
                }
            )

    def _grant(self, rows: Batch, customer: GeneratedCustomer) -> None:
        rng = self.rng
        if not customer.order_ids or rng.random() >= 0.03:
            return
        amount = _money(rng.uniform(5, 60))
        senior = rng.random() < 0.2
        rows["grants"].append(
            {
                "id": self._id("grants"),
                "merchant_id": self.merchant_id,
                "customer_id": customer.id,
                "email": customer.email,
                "ticket_id": None,
                "order_id": rng.choice(customer.order_ids),
                "offer": rng.choice(("partial_refund", "store_credit")),
                "amount": amount,
                "percent": None,
                "currency": self.store.currency,
                "amount_in_policy_currency": amount,
                "granted_by_user_id": None,
                "granted_by_label": "senior@synth.example" if senior else "agent@synth.example",
                "role": "senior" if senior else "agent",
                "reason": "goodwill",
                "idempotency_key": None,
                "created_at": self.now - timedelta(seconds=rng.uniform(0, 120 * 86_400)),
            }
        )
