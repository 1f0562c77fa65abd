"""Planner statistics for tables that bulk writes are filling (PostgreSQL).

A fresh PostgreSQL table has no statistics until autovacuum gets to it (a minute or more later), so
during a fast import the planner guesses, and the per-batch lookups (`external_id` by merchant) fall
back to the `merchant_id` index alone — imports ran 30-250x slower than COPY. So when a unit of work
that bulk-wrote commits, each table it wrote is analyzed once the rows this process has bulk-written
into it since its last analyze exceed what the table held then (`pg_class.reltuples`), and at least
`FIRST_ANALYZE_ROWS`: the first batch of an import into an empty table, and again each time the table
has doubled, until the import ends. SQLite needs none of this: its planner uses the indexes without
statistics.
"""

from __future__ import annotations

from collections import Counter
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, bindparam, text
from sqlalchemy.orm import Session

BULK_ROWS = "rapport_bulk_rows"  # session.info key: rows bulk-written per table, not yet committed
FIRST_ANALYZE_ROWS = 1_000

# Rows bulk-written since the table's last analyze, per engine (this process) and table.
_since_analyze: WeakKeyDictionary[Engine, Counter[str]] = WeakKeyDictionary()

HELD = text(
    "SELECT relname, reltuples FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
    "AND relname IN :tables"
).bindparams(bindparam("tables", expanding=True))


def note_bulk_write(session: Session, table: str, rows: int) -> None:
    """Remember that this session bulk-wrote `rows` rows into `table` (counted once it commits)."""
    session.info.setdefault(BULK_ROWS, Counter())[table] += rows


def refresh_after_commit(session: Session) -> list[str]:
    """ANALYZE the bulk-written tables that outgrew their statistics; returns their names."""
    written: Counter[str] = session.info.pop(BULK_ROWS, Counter())
    bind = session.get_bind()
    if not written or bind.dialect.name != "postgresql" or not isinstance(bind, Engine):
        return []
    since = _since_analyze.setdefault(bind, Counter())
    since.update(written)
    rows = session.execute(HELD, {"tables": sorted(written)}).all()
    held: dict[str, float] = {str(name): float(count) for name, count in rows}
    stale = [t for t in sorted(written) if since[t] >= max(held.get(t, 0.0), FIRST_ANALYZE_ROWS)]
    for name in stale:
        session.execute(text(f'ANALYZE "{name}"'))  # names are our own tables', never input
        since[name] = 0
    session.commit()
    return stale
