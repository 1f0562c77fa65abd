"""The harness of the hostile-model tests: one fake chat-completions server on loopback answers
each scripted `{"opening", "closing"}` in turn, and the real LLMDrafter drafts the scenario's reply."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from rapport.drafting import Draft
from rapport.llm import LLMDrafter, LLMSettings

from .fake_llm import FakeLLMServer
from .scenarios import Scenario

CORPUS = Path(__file__).parent / "corpus"


@dataclass(frozen=True)
class Outcome:
    """One scripted answer drafted: the final draft and whether the model's words reached it."""

    line: dict[str, Any]
    draft: Draft

    @property
    def used(self) -> bool:
        return self.draft.drafter == "llm"

    @property
    def model_words_shown(self) -> bool:
        """Whether anything the model wrote is in the final draft (opening or closing, verbatim)."""
        body = self.draft.body_text
        return any(
            isinstance(part, str) and part.strip() and part.strip() in body
            for part in (self.line.get("opening"), self.line.get("closing"))
        )


def draft_scripted(server: FakeLLMServer, scenario: Scenario, line: dict[str, Any]) -> Outcome:
    """Serve `line`'s opening and closing as the model's answer (on every attempt) and draft."""
    server.model.mode = "scripted"
    server.model.script = {"opening": line.get("opening", ""), "closing": line.get("closing", "")}
    draft = _drafter(server.base_url).draft(
        scenario.ticket, scenario.profile, scenario.decision, scenario.brand
    )
    return Outcome(line=line, draft=draft)


@lru_cache(maxsize=4)
def _drafter(base_url: str) -> LLMDrafter:
    return LLMDrafter(LLMSettings(base_url=base_url, model="hostile-1", timeout=5.0))


def read_corpus(name: str) -> list[dict[str, Any]]:
    """The lines of tests/drafting/corpus/NAME (written by someone who never read the verifier)."""
    with (CORPUS / name).open(encoding="utf-8") as handle:
        return [json.loads(raw) for raw in handle if raw.strip()]
