"""`rapport draft check`: run the guardrails over drafts written elsewhere, one JSON object per line.

Reading a line is the wire format's business (`rapport.schemas.DraftCheckLine`, a layer this package
does not import): the caller hands `check_jsonl` a `read` function that turns one line into the draft's
text and the domain values it must state, or raises `InvalidInput` saying what is wrong with the line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from rapport.domain import CustomerProfile, Decision, Ticket
from rapport.domain.errors import InvalidInput
from rapport.drafting.draft import BrandSettings, Draft, GuardrailReport
from rapport.drafting.guardrails import check_draft


class DraftToCheck(Protocol):
    """One line, read (`rapport.schemas.DraftCheck` is one)."""

    @property
    def subject(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def drafter(self) -> str: ...
    @property
    def ticket(self) -> Ticket: ...
    @property
    def profile(self) -> CustomerProfile: ...
    @property
    def decision(self) -> Decision: ...
    @property
    def support_email(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class CheckedLine:
    """The outcome of one line: a guardrail report, or the reason the line could not be read."""

    line: int
    report: GuardrailReport | None = None
    error: str | None = None


def check_jsonl(path: Path, *, read: Callable[[str], DraftToCheck]) -> Iterator[CheckedLine]:
    """Check every draft in a JSONL file; blank lines are skipped, lines `read` refuses are reported."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read ({exc.strerror})") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                record = read(raw)
            except InvalidInput as exc:
                yield CheckedLine(number, error=exc.message)
                continue
            yield CheckedLine(number, report=check_record(record))


def check_record(record: DraftToCheck) -> GuardrailReport:
    """The guardrail report of one draft against the decision, the customer and the ticket it answers."""
    draft = Draft(subject=record.subject, body_text=record.body, body_html="", drafter=record.drafter)
    return check_draft(
        draft,
        ticket=record.ticket,
        profile=record.profile,
        decision=record.decision,
        brand=BrandSettings(support_email=record.support_email),
    )
