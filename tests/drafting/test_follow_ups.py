"""Follow-ups are worded per kind and customer, and never promise money or an offer."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.domain import CustomerProfile, Tone
from rapport.drafting import BrandSettings
from rapport.drafting.follow_ups import (
    KINDS,
    FollowUpFacts,
    FollowUpRefused,
    check_follow_up,
    draft_follow_up,
    facts_of,
    template_name,
)
from rapport.drafting.money_scan import find_money, find_percents
from rapport.policy import default_policy

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
BRAND = BrandSettings(store_name="Acme Home", agent_name="Ana from Acme", support_email="help@acme.example")
LINKS = tuple(f"https://desk.acme.example/csat/tok{score}.sig" for score in range(1, 6))


def a_vip(**overrides: object) -> FollowUpFacts:
    """Dana: a Gold VIP since 2021 with twelve orders, checked on by a senior about chipped bowls."""
    facts = FollowUpFacts(
        segment="vip",
        style="concise_warm",
        first_name="Dana",
        ticket_id=41,
        intent="damaged_item",
        order_name="#1042",
        orders_count=12,
        customer_since=datetime(2021, 3, 2, tzinfo=UTC),
        loyalty_tier="gold",
        sender="senior",
        sender_name="Sofia Marin",
        brand=BRAND,
        now=NOW,
    )
    return replace(facts, **overrides)  # type: ignore[arg-type]


def a_subscriber(**overrides: object) -> FollowUpFacts:
    """Sam: a subscriber whose next billing is on December 3, writing about the subscription."""
    facts = FollowUpFacts(
        segment="subscriber",
        style="friendly",
        first_name="Sam",
        ticket_id=42,
        intent="subscription_change",
        orders_count=4,
        subscriber=True,
        next_billing=datetime(2026, 12, 3, 9, 0, tzinfo=UTC),
        brand=BRAND,
        now=NOW,
    )
    return replace(facts, **overrides)  # type: ignore[arg-type]


def a_first_time_buyer(**overrides: object) -> FollowUpFacts:
    """Lena: one order, #1050, late; her survey carries the five one-click links."""
    facts = FollowUpFacts(
        segment="first_time",
        style="patient_detailed",
        first_name="Lena",
        ticket_id=43,
        intent="late_delivery",
        order_name="#1050",
        orders_count=1,
        brand=BRAND,
        survey_links=LINKS,
        now=NOW,
    )
    return replace(facts, **overrides)  # type: ignore[arg-type]


def test_every_kind_of_the_default_policy_has_a_template_of_its_own() -> None:
    kinds = {rule.kind for rules in default_policy().follow_ups.values() for rule in rules}
    assert kinds <= set(KINDS)
    packaged = Path(__file__).parents[2] / "src" / "rapport" / "drafting" / "templates"
    for kind in kinds:
        assert (packaged / template_name(kind)).is_file()


def test_a_vips_personal_check_in_comes_from_the_senior_and_recognizes_the_loyalty() -> None:
    subject, body = draft_follow_up("personal_check_in", a_vip())
    assert subject == "A personal note from Acme Home about your order #1042"
    assert body.startswith(("Hi Dana,", "Hello Dana,", "Dear Dana,"))
    assert "I'm Sofia Marin, one of the senior members of the Acme Home team" in body
    assert "twelve orders" in body
    assert "2021" in body
    assert "Gold member" in body
    assert "comes straight to me" in body
    assert body.endswith("Sofia Marin, Senior Support\nAcme Home")


def test_a_subscribers_check_in_names_the_next_billing_date() -> None:
    _, body = draft_follow_up("check_in", a_subscriber())
    assert "your subscription" in body
    assert "subscriber" in body
    assert "Your next subscription billing date is December 3, 2026" in body


def test_a_subscribers_check_in_without_a_known_billing_date_names_none() -> None:
    _, body = draft_follow_up("check_in", a_subscriber(next_billing=None))
    assert "billing date" not in body


def test_the_billing_date_follows_the_customers_locale() -> None:
    _, body = draft_follow_up("check_in", a_subscriber(locale="de_DE"))
    assert "3. Dezember 2026" in body


def test_a_first_time_buyers_survey_carries_the_five_one_click_answers_in_order() -> None:
    subject, body = draft_follow_up("satisfaction_survey", a_first_time_buyer())
    assert subject == "How did we do with your order #1050?"
    lines = [line for line in body.splitlines() if "/csat/" in line]
    assert lines == [
        f"{score} ({label}): {link}"
        for score, label, link in zip(
            range(1, 6), ["very poor", "poor", "okay", "good", "excellent"], LINKS, strict=True
        )
    ]


def test_a_survey_without_links_asks_for_a_reply_instead() -> None:
    _, body = draft_follow_up("satisfaction_survey", a_first_time_buyer(survey_links=()))
    assert "/csat/" not in body
    assert "Just reply to this e-mail" in body


def test_a_survey_needs_one_link_per_score() -> None:
    with pytest.raises(ValueError, match="one per score"):
        draft_follow_up("satisfaction_survey", a_first_time_buyer(survey_links=LINKS[:3]))


def test_the_three_segments_get_three_different_follow_ups() -> None:
    bodies = {
        draft_follow_up("personal_check_in", a_vip())[1],
        draft_follow_up("check_in", a_subscriber())[1],
        draft_follow_up("satisfaction_survey", a_first_time_buyer())[1],
    }
    assert len(bodies) == 3


def test_the_tone_style_changes_the_closing() -> None:
    patient = draft_follow_up("check_in", a_subscriber(style="patient_detailed"))[1]
    friendly = draft_follow_up("check_in", a_subscriber(style="friendly"))[1]
    assert "step by step" in patient
    assert "step by step" not in friendly


def test_an_unknown_kind_gets_a_plain_polite_check_in() -> None:
    subject, body = draft_follow_up("thank_you_note", a_subscriber(intent=None, order_name=None))
    assert template_name("thank_you_note") == "follow_ups/generic.txt.j2"
    assert subject == "Checking in from Acme Home"
    assert "We wanted to check in after your recent message" in body
    assert body.startswith(("Hi Sam,", "Hello Sam,", "Dear Sam,"))


def test_a_guest_is_greeted_without_a_name() -> None:
    _, body = draft_follow_up("check_in", a_subscriber(first_name=None))
    assert body.startswith(("Hello,", "Hello there,"))


def test_the_ticket_subject_is_echoed_only_when_it_names_no_money_or_offer() -> None:
    plain = a_subscriber(intent=None, ticket_subject="Question about the glaze")
    greedy = a_subscriber(intent=None, ticket_subject="Refund my 50.00 USD now")
    assert draft_follow_up("check_in", plain)[0] == "Checking in: Question about the glaze"
    assert draft_follow_up("check_in", greedy)[0] == "Checking in from Acme Home"


def test_the_same_follow_up_is_worded_the_same_every_time() -> None:
    assert draft_follow_up("check_in", a_subscriber()) == draft_follow_up("check_in", a_subscriber())


def test_a_merchant_template_that_promises_a_refund_is_refused(tmp_path: Path) -> None:
    (tmp_path / "follow_ups").mkdir()
    (tmp_path / "follow_ups" / "check_in.txt.j2").write_text(
        "Hi {{ first_name }}, we will refund you 10.00 USD and give you 15% off next time."
    )
    brand = replace(BRAND, templates_dir=tmp_path)
    with pytest.raises(FollowUpRefused, match="10.00") as refused:
        draft_follow_up("check_in", a_subscriber(brand=brand))
    assert "15" in refused.value.message
    assert "a refund" in refused.value.message


def test_the_check_ignores_the_survey_links_and_the_store_name() -> None:
    facts = a_first_time_buyer(
        brand=replace(BRAND, store_name="Free Shipping Co."),
        survey_links=tuple(f"https://x.example/csat/USD{n}0.{n}" for n in range(1, 6)),
    )
    body = "Thanks from Free Shipping Co.\n" + "\n".join(facts.survey_links)
    assert check_follow_up("How did we do?", body, facts).passed


names = st.one_of(st.none(), st.from_regex(r"[A-Z][a-z]{1,10}( [A-Z][a-z]{1,8})?", fullmatch=True))
subjects = st.one_of(st.none(), st.text(max_size=60))
facts_strategy = st.builds(
    FollowUpFacts,
    segment=st.sampled_from(["vip", "subscriber", "first_time", "default"]),
    style=st.sampled_from(["concise_warm", "friendly", "patient_detailed", "unheard_of"]),
    first_name=names,
    ticket_id=st.one_of(st.none(), st.integers(1, 10**6)),
    ticket_subject=subjects,
    intent=st.one_of(
        st.none(), st.sampled_from(["damaged_item", "refund_request", "billing_issue", "other"])
    ),
    order_name=st.one_of(st.none(), st.from_regex(r"#[1-9][0-9]{3,5}", fullmatch=True)),
    orders_count=st.integers(0, 5000),
    customer_since=st.one_of(
        st.none(), st.datetimes(datetime(2000, 1, 1), datetime(2026, 11, 1), timezones=st.just(UTC))
    ),
    loyalty_tier=st.one_of(st.none(), st.sampled_from(["gold", "platinum", "silver"])),
    subscriber=st.booleans(),
    next_billing=st.one_of(
        st.none(), st.datetimes(datetime(2026, 11, 21), datetime(2027, 12, 1), timezones=st.just(UTC))
    ),
    sender=st.sampled_from(["agent", "senior", "system"]),
    sender_name=st.one_of(st.none(), names),
    brand=st.just(BRAND),
    locale=st.sampled_from([None, "en_US", "de_DE", "fr_FR", "en_GB"]),
    survey_links=st.sampled_from([(), LINKS]),
    now=st.just(NOW),
)


@given(kind=st.sampled_from([*KINDS, "anything_else"]), facts=facts_strategy)
def test_no_follow_up_ever_states_an_amount_or_a_percent(kind: str, facts: FollowUpFacts) -> None:
    subject, body = draft_follow_up(kind, facts)  # FollowUpRefused would fail the test too
    text = f"{subject}\n{body}"
    for link in facts.survey_links:
        text = text.replace(link, " ")
    assert find_money(text) == []
    assert find_percents(text) == []


def test_the_facts_of_a_vips_profile_recognize_the_loyalty() -> None:
    profile = a_vip_profile()
    facts = facts_of(profile, segment="vip", tone=Tone("concise_warm"), brand=BRAND, now=NOW, sender="senior")
    assert (facts.first_name, facts.orders_count, facts.loyalty_tier) == ("Dana", 12, "gold")
    assert facts.customer_since == datetime(2021, 3, 2, tzinfo=UTC)
    assert facts.style == "concise_warm"


def test_a_tone_that_does_not_acknowledge_history_leaves_the_loyalty_out() -> None:
    facts = facts_of(
        a_vip_profile(), segment="first_time", tone=Tone("patient_detailed", False), brand=BRAND, now=NOW
    )
    assert (facts.orders_count, facts.customer_since, facts.loyalty_tier) == (0, None, None)
    assert "orders" not in draft_follow_up("check_in", facts)[1]


def test_the_facts_of_a_guest_have_no_name() -> None:
    guest = CustomerProfile.guest("someone@example.com", currency="USD")
    facts = facts_of(guest, segment="default", tone=Tone("friendly"), brand=BRAND, now=NOW)
    assert facts.first_name is None
    assert facts.subscriber is False


def test_the_facts_of_a_subscriber_carry_the_next_billing_date() -> None:
    billing = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    profile = replace(a_vip_profile(), has_active_subscription=True, subscription_next_billing_at=billing)
    facts = facts_of(profile, segment="subscriber", tone=Tone("friendly"), brand=BRAND, now=NOW)
    assert (facts.subscriber, facts.next_billing) == (True, billing)


def a_vip_profile() -> CustomerProfile:
    """Dana Lee: known since March 2021, twelve orders, Gold tier."""
    return CustomerProfile(
        email="dana.lee@example.com",
        is_known=True,
        first_name="Dana",
        customer_since=datetime(2021, 3, 2, tzinfo=UTC),
        orders_count=12,
        loyalty_tier="gold",
        currency="USD",
    )


def test_a_senior_without_a_name_introduces_themselves_by_role_only() -> None:
    _, body = draft_follow_up("personal_check_in", a_vip(sender_name=None))
    assert "I'm one of the senior members of the Acme Home team" in body
    assert "I'm Ana from Acme" not in body
    assert body.endswith("Ana from Acme\nAcme Home")
