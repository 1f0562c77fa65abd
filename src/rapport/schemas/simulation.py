"""One line of a ticket history for `rapport simulate --tickets FILE.jsonl`: a past ticket and its customer.

    {"received_at": "2026-11-03T09:12:00Z", "email": "maya@example.com",
     "message": "My parcel is a week late", "intent": "late_delivery", "order": "#1042",
     "channel": "email", "handled_minutes": 12.5,
     "customer": {... as `rapport profile --json` prints it (CustomerOut), every field optional,
                  plus "recent_orders": [orders as OrderOut writes them] ...}}

`intent` is optional (the message is then read by the classifier), `order` names one of the customer's
`recent_orders` (without it the order is found from the message and the intent, as triage does),
`handled_minutes` is the agent's time on the ticket until the first reply (optional: the simulator then
samples one). Without `customer` the writer is a guest. Facts left out of `customer` are derived from
`recent_orders` when they can be (counts, spend, last order, tenure), else zero. `refunds_last_90d` and
`credits_last_90d` are what was granted outside the replayed history. Unknown fields are refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from rapport.domain import CustomerProfile, Intent, LineItem, OrderSummary
from rapport.domain.errors import InvalidInput
from rapport.schemas.draft_check import describe
from rapport.schemas.tickets import EMAIL_PATTERN
from rapport.schemas.values import NO_NUL, DecimalIn, InstantIn

IN = ConfigDict(frozen=True, extra="forbid")
ZERO = Decimal("0.00")
Text = Annotated[str, Field(max_length=1_000, pattern=NO_NUL)]
Count = Annotated[int, Field(ge=0, le=10**9)]


class _In(BaseModel):
    model_config = IN


class LineItemIn(_In):
    title: Text
    quantity: Count = 1
    price: DecimalIn = ZERO

    def to_domain(self) -> LineItem:
        return LineItem(title=self.title, quantity=self.quantity, price=self.price)


class HistoryOrderIn(_In):
    """An order as `OrderOut` writes it; `id` defaults to the name, statuses to paid and unfulfilled."""

    name: Text
    created_at: InstantIn
    total: DecimalIn
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    id: Text | None = None
    financial_status: Text = "paid"
    fulfillment_status: Text = "unfulfilled"
    line_items: list[LineItemIn] = Field(default_factory=list, max_length=500)
    cancelled: bool = False

    def to_domain(self) -> OrderSummary:
        return OrderSummary(
            id=self.id or self.name,
            name=self.name,
            created_at=self.created_at,
            total=self.total,
            currency=self.currency,
            financial_status=self.financial_status,
            fulfillment_status=self.fulfillment_status,
            line_items=tuple(item.to_domain() for item in self.line_items),
            cancelled=self.cancelled,
        )


class HistoryCustomerIn(_In):
    """The customer's facts as of the ticket: the customer card's fields, all optional, and their orders."""

    email: Text | None = None
    known: bool = True
    id: Text | None = None
    first_name: Text | None = None
    last_name: Text | None = None
    locale: Text | None = None
    customer_since: InstantIn | None = None
    orders_count: Count | None = None
    total_spent: DecimalIn | None = None
    spent_last_365d: DecimalIn | None = None
    average_order_value: DecimalIn | None = None
    first_order_at: InstantIn | None = None
    tenure_days: Count | None = None
    last_order: HistoryOrderIn | None = None
    open_orders: Count | None = None
    has_active_subscription: bool = False
    subscription_next_billing_at: InstantIn | None = None
    loyalty_tier: Text | None = None
    loyalty_points: Count = 0
    tags: list[Text] = Field(default_factory=list, max_length=200)
    contacts_last_90d: Count = 0
    refunds_last_90d: DecimalIn = ZERO
    credits_last_90d: DecimalIn = ZERO
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    recent_orders: list[HistoryOrderIn] = Field(default_factory=list, max_length=500)

    def to_domain(self, email: str, now: datetime) -> CustomerProfile:
        orders = sorted((o.to_domain() for o in self.recent_orders), key=lambda o: o.created_at, reverse=True)
        count = self.orders_count if self.orders_count is not None else len(orders)
        spent = self.total_spent if self.total_spent is not None else sum((o.total for o in orders), ZERO)
        first_order = self.first_order_at or (orders[-1].created_at if orders else None)
        since = first_order or self.customer_since
        return CustomerProfile(
            email=email,
            is_known=self.known,
            customer_id=self.id,
            first_name=self.first_name,
            last_name=self.last_name,
            locale=self.locale,
            customer_since=self.customer_since,
            orders_count=count,
            total_spent=spent,
            spent_last_365d=self.spent_last_365d
            if self.spent_last_365d is not None
            else _spent_in_year(orders, now),
            average_order_value=self.average_order_value
            if self.average_order_value is not None
            else (spent / count).quantize(Decimal("0.01"))
            if count
            else ZERO,
            first_order_at=first_order,
            tenure_days=self.tenure_days if self.tenure_days is not None else _days(since, now),
            last_order=self.last_order.to_domain() if self.last_order else (orders[0] if orders else None),
            open_orders=self.open_orders if self.open_orders is not None else sum(o.is_open for o in orders),
            has_active_subscription=self.has_active_subscription,
            subscription_next_billing_at=self.subscription_next_billing_at,
            loyalty_tier=self.loyalty_tier,
            loyalty_points=self.loyalty_points,
            tags=tuple(self.tags),
            contacts_last_90d=self.contacts_last_90d,
            refunds_last_90d=self.refunds_last_90d,
            credits_last_90d=self.credits_last_90d,
            currency=self.currency,
            recent_orders=tuple(orders),
        )


def _spent_in_year(orders: list[OrderSummary], now: datetime) -> Decimal:
    return sum((o.total for o in orders if 0 <= (now - o.created_at).days < 365), ZERO)


def _days(since: datetime | None, now: datetime) -> int:
    return max(0, (now - since).days) if since is not None else 0


class HistoryLine(_In):
    """One past ticket (see the module docstring)."""

    received_at: InstantIn
    email: Annotated[str, Field(min_length=3, max_length=320, pattern=EMAIL_PATTERN)]
    message: Annotated[str, Field(max_length=50_000, pattern=NO_NUL)]
    intent: Intent | None = None
    order: Annotated[str, Field(max_length=64, pattern=NO_NUL)] | None = None
    channel: Annotated[str, Field(min_length=1, max_length=32, pattern=NO_NUL)] = "email"
    handled_minutes: Annotated[float, Field(ge=0, le=60 * 24 * 30, allow_inf_nan=False)] | None = None
    customer: HistoryCustomerIn | None = None

    @model_validator(mode="after")
    def _one_customer(self) -> HistoryLine:
        given = self.customer.email if self.customer is not None else None
        if given is not None and given.lower() != self.email.lower():
            raise ValueError(f"customer.email {given!r} is not the ticket's email {self.email!r}")
        return self

    def profile(self) -> CustomerProfile:
        """The customer's profile as of the ticket (a guest's when no customer is given)."""
        if self.customer is None:
            return CustomerProfile.guest(self.email)
        return self.customer.to_domain(self.email, self.received_at.astimezone(UTC))


@dataclass(frozen=True, slots=True)
class StoredPastTicket:
    """A past ticket as the store gives it to the simulator (`rapport simulate --from-store`)."""

    email: str
    message: str
    received_at: datetime
    channel: str
    intent: str
    order_id: str | None  # the order's external id, when the ticket was linked to one
    handled_minutes: float | None  # claim to first reply, when both happened


def read_history_line(raw: str) -> HistoryLine:
    """Read one JSONL line; an unusable line raises `InvalidInput` naming the field and what is wrong."""
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(record, dict):
        raise InvalidInput("record: expected an object")
    try:
        return HistoryLine.model_validate(record)
    except ValidationError as exc:
        raise InvalidInput(describe(exc)) from None
