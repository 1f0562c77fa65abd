"""The wire formats (`rapport.schemas`): exact shapes, one reading of instants, the draft-check lines,
and the versioned decision the store keeps."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from rapport.domain import (
    CustomerProfile,
    Decision,
    Entity,
    EscalationLevel,
    FollowUp,
    Intent,
    IntentReading,
    LineItem,
    OfferKind,
    OrderSummary,
    ResolutionOffer,
    Signal,
    Ticket,
    Tone,
)
from rapport.domain.errors import InvalidInput
from rapport.drafting import Draft, GuardrailReport, Violation, check_jsonl
from rapport.schemas import (
    STORED_DECISION_VERSION,
    CustomerOut,
    DecisionOut,
    DraftCheckLine,
    DraftOut,
    DraftResponse,
    ErrorBody,
    StoredDecision,
    TicketIn,
    TriageOut,
    parse_instant,
    read_draft_check_line,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ORDER = OrderSummary(
    id="9001",
    name="#9001",
    created_at=datetime(2026, 10, 30, 10, 0, tzinfo=UTC),
    total=Decimal("64"),
    currency="USD",
    financial_status="paid",
    fulfillment_status="fulfilled",
    line_items=(LineItem(title="Bowl set", quantity=2, price=Decimal("32")),),
)
PROFILE = CustomerProfile(
    email="dana.lee@example.com",
    is_known=True,
    customer_id="c-1",
    first_name="Dana",
    last_name="Lee",
    customer_since=datetime(2021, 2, 1, 10, 0, tzinfo=UTC),
    orders_count=2,
    total_spent=Decimal("2464"),
    spent_last_365d=Decimal("64"),
    average_order_value=Decimal("1232"),
    first_order_at=datetime(2025, 6, 30, 10, 0, tzinfo=UTC),
    tenure_days=508,
    last_order=ORDER,
    tags=("loyalty",),
    contacts_last_90d=1,
    refunds_last_90d=Decimal("0"),
    credits_last_90d=Decimal("12.5"),
    recent_orders=(ORDER,),
)
DECISION = Decision(
    intent=Intent.DAMAGED_ITEM,
    intent_confidence=0.98765,
    segment="vip",
    segment_rule="segments[0] vip: customer.total_spent >= 2000.0",
    queue="priority",
    priority=90,
    first_response_due=NOW + timedelta(hours=1),
    escalation_level=EscalationLevel.SENIOR,
    resolution=ResolutionOffer(
        offer=OfferKind.STORE_CREDIT,
        currency="USD",
        amount=Decimal("20"),
        reason="We are sorry.",
        capped_by="max_credit",
        rule="resolutions.damaged_item[0]",
    ),
    tone=Tone(style="concise_warm"),
    follow_ups=(FollowUp(due_at=NOW + timedelta(days=3), kind="check_in", sender="senior"),),
    explanation=("segment vip", "queue priority"),
)
TICKET = Ticket(
    email=PROFILE.email,
    message="My bowl set #9001 arrived chipped",
    received_at=NOW,
    reading=IntentReading(intent=Intent.DAMAGED_ITEM, confidence=0.98765, source="model"),
    order=ORDER,
    entities=(Entity(kind="order_ref", value="#9001", start=11, end=16),),
    signals=(Signal(kind="repeat_contact", evidence="contacts_last_90d=1"),),
)

ORDER_JSON = {
    "id": "9001",
    "name": "#9001",
    "created_at": "2026-10-30T10:00:00+00:00",
    "total": "64.00",
    "currency": "USD",
    "financial_status": "paid",
    "fulfillment_status": "fulfilled",
    "line_items": [{"title": "Bowl set", "quantity": 2, "price": "32.00"}],
}
DECISION_JSON = {
    "intent": "damaged_item",
    "intent_confidence": 0.988,
    "needs_human": False,
    "segment": "vip",
    "segment_rule": "segments[0] vip: customer.total_spent >= 2000.0",
    "queue": "priority",
    "priority": 90,
    "first_response_due": "2026-11-20T13:00:00+00:00",
    "escalation_level": "senior",
    "resolution": {
        "offer": "store_credit",
        "amount": "20.00",
        "percent": None,
        "currency": "USD",
        "shipping": None,
        "requires_return": False,
        "reason": "We are sorry.",
        "capped_by": "max_credit",
        "rule": "resolutions.damaged_item[0]",
    },
    "tone": {"style": "concise_warm", "acknowledge_history": True},
    "follow_ups": [
        {"due_at": "2026-11-23T12:00:00+00:00", "kind": "check_in", "channel": "email", "from": "senior"}
    ],
    "explanation": ["segment vip", "queue priority"],
}


def dumped(model: object) -> str:
    """The JSON text, keys in order (`rapport triage --json` is compared byte for byte by other tools)."""
    return json.dumps(model.model_dump(mode="json"))  # type: ignore[attr-defined]


def test_the_triage_json_keeps_its_exact_shape_and_key_order() -> None:
    expected = {
        "customer": {"id": "c-1", "email": "dana.lee@example.com", "known": True},
        **DECISION_JSON,
        "order": ORDER_JSON,
        "entities": [{"kind": "order_ref", "value": "#9001"}],
        "signals": [{"kind": "repeat_contact", "evidence": "contacts_last_90d=1"}],
    }
    assert dumped(TriageOut.from_domain(TICKET, PROFILE, DECISION)) == json.dumps(expected)


def test_the_decision_json_has_money_as_strings_and_instants_with_their_offset() -> None:
    assert dumped(DecisionOut.from_domain(DECISION)) == json.dumps(DECISION_JSON)
    discount = ResolutionOffer(offer=OfferKind.DISCOUNT_CODE, currency="USD", percent=Decimal("15"))
    paris = timezone(timedelta(hours=1))
    other = DecisionOut.from_domain(
        replace(DECISION, resolution=discount, first_response_due=NOW.astimezone(paris))
    ).model_dump(mode="json")
    assert (other["resolution"]["percent"], other["resolution"]["amount"]) == ("15", None)
    assert other["first_response_due"] == "2026-11-20T13:00:00+01:00"


def test_the_customer_card_json() -> None:
    card = CustomerOut.from_domain(PROFILE).model_dump(mode="json")
    assert list(card) == [
        "id",
        "email",
        "known",
        "first_name",
        "last_name",
        "customer_since",
        "orders_count",
        "total_spent",
        "spent_last_365d",
        "average_order_value",
        "first_order_at",
        "tenure_days",
        "last_order",
        "open_orders",
        "has_active_subscription",
        "subscription_next_billing_at",
        "loyalty_tier",
        "loyalty_points",
        "tags",
        "contacts_last_90d",
        "refunds_last_90d",
        "credits_last_90d",
        "currency",
    ]
    assert (card["total_spent"], card["credits_last_90d"], card["last_order"]) == (
        "2464.00",
        "12.50",
        ORDER_JSON,
    )
    guest = CustomerOut.from_domain(CustomerProfile.guest("who@example.net", currency="EUR")).model_dump(
        mode="json"
    )
    assert (guest["known"], guest["last_order"], guest["customer_since"], guest["currency"]) == (
        False,
        None,
        None,
        "EUR",
    )


def test_the_draft_json_and_the_draft_response() -> None:
    report = GuardrailReport.of([Violation(code="unexpected_amount", message="mentions '$1,000'")])
    draft = Draft(subject="S", body_text="B", body_html="<p>B</p>", facts_used={"x": "1"}, guardrails=report)
    assert DraftOut.from_domain(draft).model_dump(mode="json") == {
        "subject": "S",
        "body": "B",
        "body_html": "<p>B</p>",
        "drafter": "template",
        "fallback_reason": None,
        "facts_used": {"x": "1"},
        "guardrails": {
            "passed": False,
            "violations": [{"code": "unexpected_amount", "message": "mentions '$1,000'"}],
        },
    }

    class Result:
        ticket, profile, decision = TICKET, PROFILE, DECISION

    response = DraftResponse.from_domain(Result(), draft).model_dump(mode="json")
    assert list(response) == ["decision", "draft"]
    assert response["decision"] == TriageOut.from_domain(TICKET, PROFILE, DECISION).model_dump(mode="json")


def test_the_error_body() -> None:
    assert ErrorBody.of("not_found", "Not Found").model_dump() == {
        "error": {"code": "not_found", "message": "Not Found"}
    }


# The decision the store keeps.


def test_the_stored_decision_is_the_decision_with_schema_version_1() -> None:
    stored = StoredDecision.from_domain(DECISION).model_dump(mode="json")
    assert STORED_DECISION_VERSION == 1
    assert stored == {**DECISION_JSON, "schema_version": 1}


def test_a_decision_stored_before_versioning_reads_as_version_1() -> None:
    legacy = StoredDecision.read(DECISION_JSON)
    assert legacy.schema_version == 1
    assert legacy.model_dump(mode="json") == {**DECISION_JSON, "schema_version": 1}


def test_a_stored_decision_of_an_unknown_version_is_refused() -> None:
    with pytest.raises(ValueError, match="schema_version"):
        StoredDecision.read({**DECISION_JSON, "schema_version": 2})


# Instants from outside (the API's `now`, the CLI's `--now`).


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20T12:00:00", NOW),
        ("2026-11-20T12:00", NOW),
        ("2026-11-20T12:00:00Z", NOW),
        ("2026-11-20T12:00:00+00:00", NOW),
        (" 2026-11-20T13:00:00+01:00 ", NOW),
        ("1970-01-01T00:00:00+00:00", datetime(1970, 1, 1, tzinfo=UTC)),
        ("2199-12-31T23:59:59", datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_an_instant_without_offset_is_utc(text: str, expected: datetime) -> None:
    parsed = parse_instant(text)
    assert parsed == expected
    assert parsed.utcoffset() is not None


def test_an_instant_keeps_the_offset_it_was_given() -> None:
    assert parse_instant("2026-11-20T13:00:00+01:00").isoformat() == "2026-11-20T13:00:00+01:00"


@pytest.mark.parametrize(
    "text",
    [
        "9999-12-31T00:00:00+00:00",
        "0001-01-01T00:00:00+00:00",
        "9999-12-31T23:59:59-01:00",
        "0001-01-01T00:30:00+01:00",
        "1969-12-31T23:59:59+00:00",
        "2200-01-01T00:00:00",
        "2199-12-31T23:30:00-01:00",
    ],
)
def test_an_instant_outside_the_supported_years_is_an_input_error(text: str) -> None:
    with pytest.raises(
        InvalidInput, match=r"--now: .* is outside the supported range \(years 1970 to 2199\)"
    ):
        parse_instant(text, where="--now")


@pytest.mark.parametrize("text", ["", "tomorrow", "2026-02-30T00:00:00", "2026-11-20 noon"])
def test_text_that_is_not_an_instant_is_an_input_error(text: str) -> None:
    with pytest.raises(InvalidInput, match="not an ISO 8601 date-time"):
        parse_instant(text)


def test_the_ticket_request_reads_now_the_same_way() -> None:
    assert TicketIn(email="a@b.c", message="m", now="2026-11-20T12:00:00").now == NOW  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="outside the supported range"):
        TicketIn(email="a@b.c", message="m", now="9999-12-31T00:00:00+00:00")  # type: ignore[arg-type]


# The lines of `rapport draft check`.


def line(**overrides: object) -> str:
    record: dict[str, object] = {
        "draft": {"subject": "About #9001", "body": "Hi Dana, we're adding $20.00 in store credit."},
        "decision": TriageOut.from_domain(TICKET, PROFILE, DECISION).model_dump(mode="json"),
        "customer": CustomerOut.from_domain(PROFILE).model_dump(mode="json"),
        "ticket": {"message": "chipped", "order": "#9001"},
    }
    return json.dumps({**record, **overrides})


def test_a_draft_check_line_reads_what_triage_and_profile_print() -> None:
    read = read_draft_check_line(line())
    assert (read.subject, read.drafter, read.support_email) == ("About #9001", "external", None)
    assert read.decision.resolution == ResolutionOffer(
        offer=OfferKind.STORE_CREDIT, currency="USD", amount=Decimal("20.00"), reason="We are sorry."
    )
    assert (read.decision.intent, read.decision.first_response_due) == (
        Intent.DAMAGED_ITEM,
        NOW + timedelta(hours=1),
    )
    assert (read.profile.email, read.profile.first_name) == (PROFILE.email, "Dana")
    assert read.profile.last_order == replace(ORDER, line_items=())  # the guardrails do not read items
    assert read.ticket.email == PROFILE.email
    assert read.ticket.order is not None
    assert read.ticket.order.name == "#9001"


def test_a_minimal_draft_check_line_has_neutral_defaults() -> None:
    minimal = {
        "draft": {"subject": "s", "body": "b"},
        "decision": {"intent": "other", "resolution": {"offer": "none", "currency": "eur"}},
        "customer": {"email": "x@example.com"},
    }
    read = DraftCheckLine.model_validate(minimal).to_domain()
    assert (read.decision.resolution.currency, read.profile.is_known, read.ticket.order) == (
        "EUR",
        True,
        None,
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{not json", "not JSON (Expecting property name enclosed in double quotes at column 2)"),
        ("[1, 2]", "record: expected an object"),
        (line(draft="text"), "draft: expected an object"),
        (line(draft={"subject": "s"}), "draft.body: is required"),
        (line(draft={"subject": 1, "body": "b"}), "draft.subject: expected a string"),
        (
            line(customer={"email": "x@y.z", "last_order": {"name": "#1", "total": "a lot"}}),
            "customer.last_order.total",
        ),
        (
            line(ticket={"received_at": "9999-12-31T00:00:00+00:00"}),
            "ticket.received_at: 9999-12-31T00:00:00+00:00",
        ),
    ],
)
def test_an_unusable_draft_check_line_says_which_field_and_why(raw: str, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        read_draft_check_line(raw)
    assert raised.value.message.startswith(message)


def test_check_jsonl_reports_each_line_with_the_schema_reader(tmp_path: Path) -> None:
    path = tmp_path / "drafts.jsonl"
    bad = line(draft={"subject": "s", "body": "We'll refund you $1,000."})
    path.write_text("\n".join([line(), "", "{oops", bad]) + "\n", encoding="utf-8")
    results = list(check_jsonl(path, read=read_draft_check_line))
    assert [r.line for r in results] == [1, 3, 4]
    assert results[0].report is not None
    assert results[0].report.passed
    assert results[1].error is not None
    assert results[1].error.startswith("not JSON")
    assert results[2].report is not None
    assert "unauthorized_promise" in results[2].report.codes()
