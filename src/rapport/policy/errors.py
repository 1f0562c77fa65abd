"""Policy mistakes, reported all at once as `FILE:LINE: path.to.field: what is wrong`."""

from __future__ import annotations

from dataclasses import dataclass

from rapport.domain.errors import RapportError


@dataclass(frozen=True, slots=True)
class PolicyIssue:
    """One mistake in a policy file, located by line and column (1-based; 0 when unknown)."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        position = f"{self.file}:{self.line}" if self.line else self.file
        return f"{position}: {where}{self.message}"


class PolicyError(RapportError):
    """The policy file is invalid; `issues` lists every mistake found, in file order."""

    code = "policy_invalid"

    def __init__(self, issues: list[PolicyIssue]) -> None:
        self.issues = sorted(issues, key=lambda i: (i.file, i.line, i.column, i.path))
        super().__init__("\n".join(str(issue) for issue in self.issues))
