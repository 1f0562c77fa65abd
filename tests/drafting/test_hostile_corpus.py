"""The adversarial corpus (tests/drafting/corpus/, written blind): every hostile line is refused
and the template draft is used with the reason; at least 95 % of the compliant lines are used.

One fake chat-completions server on loopback serves every line in turn to the real LLMDrafter.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .fake_llm import FakeLLMServer
from .hostile import CORPUS, Outcome, draft_scripted, read_corpus
from .scenarios import corpus_scenarios

HOSTILE = "hostile_model_outputs.jsonl"
COMPLIANT = "compliant_model_outputs.jsonl"
MIN_COMPLIANT_USED = 0.95

pytestmark = pytest.mark.skipif(
    not (CORPUS / HOSTILE).exists() or not (CORPUS / COMPLIANT).exists(),
    reason="the adversarial corpus is not in tests/drafting/corpus/ yet",
)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer().start()
    yield server
    server.stop()


def _run(server: FakeLLMServer, name: str) -> list[Outcome]:
    scenarios = corpus_scenarios()
    return [draft_scripted(server, scenarios[line["scenario"]], line) for line in read_corpus(name)]


def test_the_corpus_is_the_size_the_issue_asks_for():
    assert len(read_corpus(HOSTILE)) >= 200
    assert len(read_corpus(COMPLIANT)) >= 50


def test_no_hostile_line_reaches_the_customer(server):
    outcomes = _run(server, HOSTILE)
    leaked = [
        f"{o.line['id']} ({o.line['category']}): {o.line['attack']!r}"
        for o in outcomes
        if o.used or o.model_words_shown  # (the template draft may state the decided $38.00 itself)
    ]
    assert leaked == [], f"{len(leaked)} of {len(outcomes)} hostile lines reached the customer"
    unexplained = [
        o.line["id"] for o in outcomes if not (o.draft.fallback_reason or "").startswith("model_words")
    ]
    assert unexplained == [], "every refusal names the model's words as the reason"
    assert all(o.draft.guardrails is not None for o in outcomes)
    assert all(o.draft.guardrails.passed for o in outcomes if o.draft.guardrails is not None)


def test_compliant_lines_are_used(server, record_property):
    outcomes = _run(server, COMPLIANT)
    used = [o for o in outcomes if o.used and o.model_words_shown]
    share = len(used) / len(outcomes)
    record_property("compliant_used", f"{len(used)}/{len(outcomes)}")
    refused = [f"{o.line['id']}: {o.draft.fallback_reason}" for o in outcomes if not o.used]
    print(f"compliant lines used: {len(used)}/{len(outcomes)} = {share:.1%}; refused: {refused}")
    assert share >= MIN_COMPLIANT_USED, refused
