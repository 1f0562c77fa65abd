"""Planner statistics for tables that bulk writes are filling (PostgreSQL).

A fresh PostgreSQL table has no statistics until autovacuum gets to it (a minute or more later), so
during a fast import the planner guesses, and the per-batch lookups (`external_id` or `email` by
merchant) fall back to the `merchant_id` prefix of whichever index it meets first, reading every one of
the merchant's rows for each row looked up: imports ran 30-250x slower than COPY, and slowed as the
store grew. So a table is analyzed once the rows this process has bulk-written into it since its last
analyze exceed what the table held then (`pg_class.reltuples`), and at least `FIRST_ANALYZE_ROWS`: the
first batches of an import into an empty table, and again each time the table has doubled, until the
import ends. That is checked when a unit of work that bulk-wrote commits (`refresh_after_commit`) and,
for transactions that write many batches before they commit (the CSV orders import: ~20,000 orders
each), right after a bulk write (`analyze_if_outgrown`): ANALYZE inside the transaction counts its own
uncommitted rows. SQLite needs none of this: its planner uses the indexes without statistics.
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
# What each table held (`reltuples`) when last looked at: below that, no need to look again.
_held: WeakKeyDictionary[Engine, dict[str, float]] = WeakKeyDictionary()

HELD = text(
    "SELECT relname, reltuples FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
    "AND relname IN :tables"
).bindparams(bindparam("tables", expanding=True))


def note_bulk_write(session: Session, table: str, rows: int) -> None:
    """Remember that this session bulk-wrote `rows` rows into `table` (counted once it commits)."""
    session.info.setdefault(BULK_ROWS, Counter())[table] += rows


def refresh_after_commit(session: Session) -> list[str]:
    """ANALYZE the bulk-written tables that outgrew their statistics; returns their names."""
    written: Counter[str] = +session.info.pop(BULK_ROWS, Counter())  # + drops the tables analyzed already
    bind = session.get_bind()
    if not written or bind.dialect.name != "postgresql" or not isinstance(bind, Engine):
        return []
    since = _since_analyze.setdefault(bind, Counter())
    since.update(written)
    rows = session.execute(HELD, {"tables": sorted(written)}).all()
    held: dict[str, float] = {str(name): float(count) for name, count in rows}
    _held.setdefault(bind, {}).update(held)
    stale = [t for t in sorted(written) if since[t] >= max(held.get(t, 0.0), FIRST_ANALYZE_ROWS)]
    for name in stale:
        # SKIP_LOCKED: a table another transaction is analyzing is left to it (see analyze_if_outgrown).
        session.execute(text(f'ANALYZE (SKIP_LOCKED) "{name}"'))  # names are our own tables'
        since[name] = 0
    session.commit()
    return stale


def analyze_if_outgrown(session: Session, table: str) -> bool:
    """ANALYZE `table` now, inside the session's transaction, if the rows bulk-written into it since
    its last analyze (committed or not) outgrew its statistics; whether it did.

    `SKIP_LOCKED`: a table that another transaction is analyzing (autovacuum, another import) is left
    to it rather than waited for; ANALYZE's lock is then held until this transaction ends, and waiting
    for it in two imports that write the same tables in turn could deadlock."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql" or not isinstance(bind, Engine):
        return False
    pending: Counter[str] = session.info.setdefault(BULK_ROWS, Counter())
    since = _since_analyze.setdefault(bind, Counter())
    written = since[table] + pending[table]
    if written < max(_held.setdefault(bind, {}).get(table, 0.0), FIRST_ANALYZE_ROWS):
        return False  # no query: what the table held last time it was looked at is still larger
    found = session.execute(HELD, {"tables": [table]}).all()
    held = _held[bind][table] = float(found[0][1]) if found else 0.0
    if written < max(held, FIRST_ANALYZE_ROWS):
        return False
    session.execute(text(f'ANALYZE (SKIP_LOCKED) "{table}"'))  # names are our own tables', never input
    since[table] = pending[table] = 0
    _held[bind][table] = max(held, float(written))  # at least what was written (it is in the table)
    return True
