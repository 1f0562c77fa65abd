"""Property: for any customer and any decision, the template draft passes every guardrail."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from rapport.drafting import TemplateDrafter

from .scenarios import scenarios

drafter = TemplateDrafter()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_every_template_draft_passes_the_guardrails(scenario):
    ticket, profile, decision, brand = scenario
    draft = drafter.draft(ticket, profile, decision, brand)
    assert draft.guardrails is not None
    assert draft.guardrails.codes() == [], draft.body_text


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_a_template_draft_never_contains_the_customers_message(scenario):
    ticket, profile, decision, brand = scenario
    draft = drafter.draft(ticket, profile, decision, brand)
    message = ticket.message.strip()
    if len(message) >= 12:
        assert message not in draft.body_text
