"""Rich views of a customer card and a decision, for people at a terminal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from rapport.domain import CustomerProfile, Decision, ResolutionOffer
from rapport.schemas import TriageOut
from rapport.services.triage import TriageResult


def money(value: Decimal | None) -> str:
    """An amount with two decimals, as people read it on a terminal ("12.50")."""
    return "-" if value is None else f"{value.quantize(Decimal('0.01'))}"


def triage_json(result: TriageResult) -> dict[str, Any]:
    """The triage JSON (`rapport triage --json`): the decision, the customer, what was read."""
    return TriageOut.from_result(result).model_dump(mode="json", by_alias=True)


def customer_card(profile: CustomerProfile) -> Panel:
    """The customer as an agent should see them before answering."""
    if not profile.is_known:
        return Panel(Text(f"{profile.email}: not a known customer (guest)"), title="Customer")
    name = " ".join(p for p in (profile.first_name, profile.last_name) if p) or profile.email
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    since = profile.customer_since.date().isoformat() if profile.customer_since else "-"
    table.add_row("E-mail", profile.email)
    table.add_row("Customer since", f"{since} ({profile.tenure_days} days of orders)")
    table.add_row("Orders", f"{profile.orders_count} (open: {profile.open_orders})")
    table.add_row("Total spent", f"{money(profile.total_spent)} {profile.currency}")
    table.add_row("Last 365 days", f"{money(profile.spent_last_365d)} {profile.currency}")
    table.add_row("Average order", f"{money(profile.average_order_value)} {profile.currency}")
    if profile.last_order:
        o = profile.last_order
        items = ", ".join(f"{li.quantity}x {li.title}" for li in o.line_items) or "-"
        table.add_row(
            "Last order",
            f"{o.name} on {o.created_at.date().isoformat()}: {money(o.total)} {o.currency}, "
            f"{o.financial_status}/{o.fulfillment_status} - {items}",
        )
    sub = "none"
    if profile.has_active_subscription:
        nxt = profile.subscription_next_billing_at
        sub = "active" + (f", next billing {nxt.date().isoformat()}" if nxt else "")
    table.add_row("Subscription", sub)
    table.add_row("Loyalty", f"{profile.loyalty_tier or '-'} ({profile.loyalty_points} points)")
    table.add_row("Tags", ", ".join(profile.tags) or "-")
    table.add_row(
        "Support, 90 days",
        f"{profile.contacts_last_90d} contacts; granted {money(profile.refunds_last_90d)} refunds, "
        f"{money(profile.credits_last_90d)} credits",
    )
    return Panel(table, title=f"Customer: {name}")


def decision_panel(decision: Decision, *, title: str = "Decision") -> Panel:
    """The decision and its reasons."""
    r = decision.resolution
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("Intent", f"{decision.intent.value} ({decision.intent_confidence:.0%})")
    table.add_row("Segment", decision.segment)
    table.add_row("Queue", f"{decision.queue} (priority {decision.priority})")
    table.add_row("First response by", decision.first_response_due.strftime("%Y-%m-%d %H:%M %Z"))
    table.add_row("Escalates to", decision.escalation_level.value)
    table.add_row("Resolution", describe_offer(r))
    table.add_row("Tone", decision.tone.style)
    table.add_row(
        "Follow-ups",
        "; ".join(f"{f.kind} by {f.sender} at {f.due_at:%Y-%m-%d %H:%M}" for f in decision.follow_ups) or "-",
    )
    why = Text("\n".join(f"- {line}" for line in decision.explanation), style="dim")
    return Panel(Group(table, Text("Why:", style="bold"), why), title=title)


def describe_offer(offer: ResolutionOffer) -> str:
    """The resolution in a few words: kind, amount or percent, shipping, return, and any cap."""
    text = offer.offer.value
    if offer.amount is not None:
        text += f" {money(offer.amount)} {offer.currency}"
    if offer.percent is not None:
        text += f" {offer.percent}%"
    if offer.shipping:
        text += f", {offer.shipping} shipping"
    if offer.requires_return:
        text += ", return required"
    if offer.capped_by:
        text += f" [capped by {offer.capped_by}]"
    return text
