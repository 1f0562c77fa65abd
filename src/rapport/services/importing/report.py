"""What an import did: counts per kind of record, and the lines it rejected."""

from __future__ import annotations

from dataclasses import dataclass, field

from rapport.services.importing.lines import KINDS


@dataclass
class KindCounts:
    inserted: int = 0
    updated: int = 0


@dataclass
class ImportReport:
    """Counts per kind ("customer", "order", "subscription", "contact") and (line number, message) errors."""

    counts: dict[str, KindCounts] = field(default_factory=lambda: {kind: KindCounts() for kind in KINDS})
    errors: list[tuple[int, str]] = field(default_factory=list)
    lines: int = 0  # non-blank lines read

    def count(self, kind: str, change: str, records: int = 1) -> None:
        """Count `records` records of `kind` as "inserted" or "updated"."""
        counts = self.counts.setdefault(kind, KindCounts())
        setattr(counts, change, getattr(counts, change) + records)

    @property
    def inserted(self) -> int:
        return sum(c.inserted for c in self.counts.values())

    @property
    def updated(self) -> int:
        return sum(c.updated for c in self.counts.values())

    @property
    def records(self) -> int:
        """Records written (inserted or updated)."""
        return self.inserted + self.updated

    @property
    def rejected(self) -> int:
        return len(self.errors)

    def error_lines(self, source: str = "line") -> list[str]:
        """The errors as `SOURCE:LINE: message` (or `line N: message`), in line order."""
        if source == "line":
            return [f"line {number}: {message}" for number, message in self.errors]
        return [f"{source}:{number}: {message}" for number, message in self.errors]
