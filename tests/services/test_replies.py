"""Reply drafting as a service: the drafter the app was built with, in the brand voice of the policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fakes import FakeStore, FakeUnitOfWorkFactory, RefusingClassifier

from drafting.builders import NOW, a_brand, a_vip
from rapport.bootstrap import brand_of
from rapport.domain import CustomerProfile, Decision, Intent, Ticket
from rapport.drafting import BrandSettings, Draft, TemplateDrafter
from rapport.policy import default_policy, default_policy_text, parse_policy
from rapport.services.replies import draft_reply
from rapport.services.triage import TriageRequest, TriageResult, triage

MARIA = a_vip()
DEFAULT_BRAND = (
    "  store_name: Our Store\n  agent_name: The Care Team\n  sign_off: Warm regards\n  locale: en_US\n"
)
ACME_BRAND = (
    "  store_name: Acme Ceramics\n  agent_name: Sam\n  sign_off: Cheers\n  locale: de_DE\n"
    "  support_email: help@acme.example\n"
)


@dataclass
class RecordingDrafter:
    """Remembers what it was asked to word, and answers with a fixed draft."""

    calls: list[tuple[Ticket, CustomerProfile, Decision, BrandSettings]] = field(default_factory=list)

    def draft(
        self, ticket: Ticket, profile: CustomerProfile, decision: Decision, brand: BrandSettings
    ) -> Draft:
        self.calls.append((ticket, profile, decision, brand))
        return Draft(subject="Re: your order", body_text="Hello", body_html="<p>Hello</p>")


def triaged() -> TriageResult:
    store = FakeStore().with_customer(MARIA)
    return triage(
        FakeUnitOfWorkFactory(store),
        merchant=store.merchant(),
        policy=default_policy(),
        classifier=RefusingClassifier(),
        request=TriageRequest(
            email=MARIA.email, message="my mug arrived broken", now=NOW, intent="damaged_item"
        ),
        record=False,
    )


def test_the_reply_is_worded_by_the_given_drafter_for_the_triaged_ticket() -> None:
    result, drafter, brand = triaged(), RecordingDrafter(), a_brand()
    draft = draft_reply(result, drafter=drafter, brand=brand)
    assert drafter.calls == [(result.ticket, result.profile, result.decision, brand)]
    assert draft.subject == "Re: your order"


def test_the_template_reply_is_signed_in_the_brand_voice_and_passes_the_guardrails() -> None:
    result = triaged()
    draft = draft_reply(result, drafter=TemplateDrafter(), brand=a_brand(agent_name="Sam", sign_off="Cheers"))
    assert result.decision.intent is Intent.DAMAGED_ITEM
    assert draft.guardrails is not None
    assert draft.guardrails.passed, draft.guardrails
    assert "Cheers" in draft.body_text
    assert "Sam" in draft.body_text


def test_the_brand_section_of_the_policy_sets_the_reply_voice(tmp_path: Path) -> None:
    text = default_policy_text()
    assert DEFAULT_BRAND in text
    text = text.replace(DEFAULT_BRAND, ACME_BRAND).replace(
        "# templates_dir: templates", "templates_dir: replies"
    )
    brand = brand_of(parse_policy(text, "acme.yaml", base_dir=tmp_path))
    assert (brand.store_name, brand.agent_name, brand.sign_off, brand.locale, brand.support_email) == (
        "Acme Ceramics",
        "Sam",
        "Cheers",
        "de_DE",
        "help@acme.example",
    )
    assert brand.templates_dir == tmp_path / "replies"


def test_the_default_policy_speaks_as_the_care_team_with_the_packaged_templates() -> None:
    brand = brand_of(default_policy())
    assert (brand.agent_name, brand.templates_dir) == ("The Care Team", None)
