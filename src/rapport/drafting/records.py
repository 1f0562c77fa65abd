"""Draft records for `rapport draft check`: one JSON object per line, parsed into domain values.

    {"draft": {"subject": "...", "body": "..."},
     "decision": {... as `rapport triage --json` prints it (serialize.decision_to_dict) ...},
     "customer": {... as `rapport profile --json` prints it (serialize.profile_to_dict) ...},
     "ticket": {"email": "...", "message": "...", "order": {"name": "#1042", ...} | "#1042" | null},
     "brand": {"support_email": "help@shop.example"}}            (optional)

Only the fields the guardrails read are required: draft.subject, draft.body, decision.intent,
decision.resolution.offer and .currency, customer.email. Everything else has a neutral default.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from rapport.domain import (
    CustomerProfile,
    Decision,
    EscalationLevel,
    Intent,
    IntentReading,
    OfferKind,
    OrderSummary,
    ResolutionOffer,
    Ticket,
    Tone,
)
from rapport.domain.errors import InvalidInput
from rapport.drafting.draft import BrandSettings, Draft, GuardrailReport
from rapport.drafting.guardrails import check_draft

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class CheckedLine:
    """The outcome of one line: a guardrail report, or the reason the line could not be read."""

    line: int
    report: GuardrailReport | None = None
    error: str | None = None


def check_jsonl(path: Path) -> Iterator[CheckedLine]:
    """Check every draft record in a JSONL file; blank lines are skipped, bad lines reported."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read ({exc.strerror})") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                yield CheckedLine(number, report=check_record(json.loads(raw)))
            except json.JSONDecodeError as exc:
                yield CheckedLine(number, error=f"not JSON ({exc.msg} at column {exc.colno})")
            except InvalidInput as exc:
                yield CheckedLine(number, error=exc.message)
            except (ValueError, TypeError) as exc:  # a count or flag of the wrong type
                yield CheckedLine(number, error=f"invalid value ({exc})")


def check_record(record: Any) -> GuardrailReport:
    """The guardrail report of one record (see the module docstring for the format)."""
    obj = _obj(record, "record")
    draft_obj = _obj(obj.get("draft"), "draft")
    draft = Draft(
        subject=_str(draft_obj.get("subject"), "draft.subject"),
        body_text=_str(draft_obj.get("body"), "draft.body"),
        body_html="",
        drafter=str(draft_obj.get("drafter") or "external"),
    )
    decision = decision_from_dict(_obj(obj.get("decision"), "decision"))
    profile = profile_from_dict(_obj(obj.get("customer"), "customer"))
    ticket = ticket_from_dict(_obj(obj.get("ticket") or {}, "ticket"), profile=profile, decision=decision)
    brand_obj = _obj(obj.get("brand") or {}, "brand")
    brand = BrandSettings(support_email=brand_obj.get("support_email"))
    return check_draft(draft, ticket=ticket, profile=profile, decision=decision, brand=brand)


def decision_from_dict(d: dict[str, Any]) -> Decision:
    """A decision from its `decision_to_dict` shape; fields the guardrails ignore may be absent."""
    r = _obj(d.get("resolution"), "decision.resolution")
    tone = _obj(d.get("tone") or {}, "decision.tone")
    resolution = ResolutionOffer(
        offer=_enum(OfferKind, r.get("offer"), "decision.resolution.offer"),
        currency=_str(r.get("currency"), "decision.resolution.currency").upper(),
        amount=_decimal(r.get("amount"), "decision.resolution.amount"),
        percent=_decimal(r.get("percent"), "decision.resolution.percent"),
        shipping=r.get("shipping"),
        requires_return=bool(r.get("requires_return", False)),
        reason=r.get("reason"),
    )
    return Decision(
        intent=_enum(Intent, d.get("intent"), "decision.intent"),
        intent_confidence=float(d.get("intent_confidence") or 1.0),
        segment=str(d.get("segment") or ""),
        segment_rule=str(d.get("segment_rule") or ""),
        queue=str(d.get("queue") or ""),
        priority=int(d.get("priority") or 0),
        first_response_due=_when(d.get("first_response_due"), "decision.first_response_due") or _EPOCH,
        escalation_level=_enum(
            EscalationLevel, d.get("escalation_level") or "agent", "decision.escalation_level"
        ),
        resolution=resolution,
        tone=Tone(
            style=str(tone.get("style") or "friendly"),
            acknowledge_history=bool(tone.get("acknowledge_history", True)),
        ),
        follow_ups=(),
        explanation=tuple(str(line) for line in d.get("explanation") or ()),
    )


def profile_from_dict(d: dict[str, Any]) -> CustomerProfile:
    """A customer from its `profile_to_dict` shape (plus optional `recent_orders`)."""
    last = d.get("last_order")
    return CustomerProfile(
        email=_str(d.get("email"), "customer.email"),
        is_known=bool(d.get("known", True)),
        customer_id=d.get("id"),
        first_name=d.get("first_name"),
        last_name=d.get("last_name"),
        locale=d.get("locale"),
        orders_count=int(d.get("orders_count") or 0),
        last_order=None if last is None else order_from_dict(last, "customer.last_order"),
        recent_orders=tuple(
            order_from_dict(o, f"customer.recent_orders[{i}]")
            for i, o in enumerate(d.get("recent_orders") or ())
        ),
        contacts_last_90d=int(d.get("contacts_last_90d") or 0),
        currency=str(d.get("currency") or "USD"),
    )


def ticket_from_dict(d: dict[str, Any], *, profile: CustomerProfile, decision: Decision) -> Ticket:
    """A ticket: e-mail and intent default to the customer's and the decision's."""
    order = d.get("order")
    intent = _enum(Intent, d.get("intent") or decision.intent.value, "ticket.intent")
    return Ticket(
        email=str(d.get("email") or profile.email),
        message=str(d.get("message") or ""),
        received_at=_when(d.get("received_at"), "ticket.received_at") or _EPOCH,
        reading=IntentReading(intent=intent, confidence=1.0, source="given"),
        order=None if order is None else order_from_dict(order, "ticket.order"),
        id=d.get("id"),
    )


def order_from_dict(value: Any, where: str) -> OrderSummary:
    """An order from its `order_to_dict` shape, or just its name ("#1042")."""
    d = {"name": value} if isinstance(value, str) else _obj(value, where)
    name = _str(d.get("name"), f"{where}.name")
    return OrderSummary(
        id=str(d.get("id") or name),
        name=name,
        created_at=_when(d.get("created_at"), f"{where}.created_at") or _EPOCH,
        total=_decimal(d.get("total"), f"{where}.total") or Decimal("0"),
        currency=str(d.get("currency") or "USD"),
        financial_status=str(d.get("financial_status") or ""),
        fulfillment_status=str(d.get("fulfillment_status") or ""),
    )


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"{where}: expected an object")
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{where}: expected a string")
    return value


def _enum(kind: Any, value: Any, where: str) -> Any:
    try:
        return kind(str(value))
    except ValueError:
        raise InvalidInput(f"{where}: {value!r} is not one of {', '.join(m.value for m in kind)}") from None


def _decimal(value: Any, where: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(f"{where}: {value!r} is not a number") from None


def _when(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{where}: {value!r} is not an ISO 8601 date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
