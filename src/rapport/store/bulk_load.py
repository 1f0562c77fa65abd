"""Bulk loading of whole tables' rows (a synthetic store): Core `executemany` on SQLite, `COPY` on PostgreSQL.

The rows come grouped by table name, parents first, as plain dicts keyed by column name with the Python
values the models take (aware datetimes, Decimals, dicts for JSON); every row of a table has the same
keys and an explicit `id` where the table has one (`next_ids` says where to start). The loader is for
a load with no other writer at the same time: ids are taken after the current largest.

SQLite: one transaction per batch of rows (tens of thousands of customers), the statements through
SQLAlchemy Core so that each value is stored exactly as the repositories store it. While loading, the
connection gets a large page cache, in-memory temporary storage and a rare WAL checkpoint; all three
are per connection, change nothing about durability (synchronous stays as configured), and are put
back afterwards. PostgreSQL: `COPY ... FROM STDIN` through psycopg's `cursor.copy()`, one transaction
per batch, then each id sequence is moved past the ids written and the tables are analyzed.
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Connection, Engine, func, insert, select, text
from sqlalchemy.engine import Dialect

from rapport.domain.errors import InvalidInput
from rapport.store.models import Base, Customer, Merchant, table_of
from rapport.store.repositories.bulk_orders import SAMPLE_TIMES, BulkValues
from rapport.store.types import UtcDateTime

Rows = Mapping[str, Sequence[Mapping[str, Any]]]

LOAD_CACHE_KIB = 256 * 1024  # SQLite page cache while loading: memory used only as pages are
LOAD_CHECKPOINT_PAGES = 100_000  # ~400 MB of WAL between checkpoints instead of 1,000 pages (4 MB)


@dataclass
class LoadCounts:
    """Rows written per table."""

    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def empty_merchant(engine: Engine, *, slug: str, currency: str) -> int:
    """The id of merchant `slug`, created when missing; one that already has customers is refused
    (`InvalidInput`): loading into it would mix two stores."""
    merchants = table_of(Merchant)
    with engine.begin() as connection:
        found = connection.execute(select(merchants.c.id).where(merchants.c.slug == slug)).scalar()
        if found is None:
            return int(
                connection.execute(
                    insert(merchants)
                    .values(slug=slug, name=slug.replace("-", " ").title(), currency=currency)
                    .returning(merchants.c.id)
                ).scalar_one()
            )
        customers = connection.execute(
            select(func.count()).select_from(Customer).where(Customer.merchant_id == found)
        ).scalar_one()
    if customers:
        raise InvalidInput(
            f"merchant {slug!r} already has {customers:,} customers: a synthetic store is written only "
            "into a merchant without any (name another with --merchant)"
        )
    return int(found)


def next_ids(engine: Engine, tables: Iterable[str]) -> dict[str, int]:
    """For each table, the first id after those it holds (1 when empty)."""
    with engine.connect() as connection:
        return {
            name: int(connection.execute(select(func.max(_table(name).c.id))).scalar() or 0) + 1
            for name in tables
        }


def load(
    engine: Engine,
    batches: Iterable[Rows],
    *,
    on_batch: Callable[[Mapping[str, int]], None] | None = None,
    in_child: bool = False,
) -> LoadCounts:
    """Write every batch, one transaction each; `on_batch(rows per table)` is called after each commit.

    `in_child`: the batches are produced and converted in a forked process while this one writes (two
    cores busy instead of one); `batches` must then not have been started, and is consumed by the child.
    """
    counts = LoadCounts()
    with engine.connect() as connection:
        dialect = connection.dialect
        postgres = dialect.name == "postgresql"
        prepared_batches = (
            _prepared_in_child(dialect, batches) if in_child else (prepare(dialect, b) for b in batches)
        )
        restore = {} if postgres else _sqlite_bulk_settings(connection)
        try:
            for prepared in prepared_batches:
                with connection.begin():
                    for table in prepared:
                        (_copy if postgres else _executemany)(connection, table)
                written = {table.name: len(table.rows) for table in prepared}
                for name, number in written.items():
                    counts.rows[name] = counts.rows.get(name, 0) + number
                if on_batch is not None:
                    on_batch(written)
        finally:
            if restore:
                _restore_sqlite_settings(connection, restore)
        if postgres:
            _after_postgres_load(connection, [n for n in counts.rows if "id" in _table(n).c])
    return counts


@dataclass(frozen=True, slots=True)
class PreparedTable:
    """One table's rows of a batch, ready for the driver: the statement and its rows as tuples."""

    name: str
    statement: str
    rows: list[tuple[Any, ...]]


def prepare(dialect: Dialect, batch: Rows) -> list[PreparedTable]:
    """The batch's non-empty tables as the driver takes them: on SQLite an INSERT compiled by Core and
    tuples that the columns' own bind processors converted (SQLAlchemy's per-row parameter handling
    was ~2/3 of the load's time; the values stored are the same); on PostgreSQL a COPY and tuples of
    the Python values, JSON as text."""
    prepared = []
    for name, rows in batch.items():
        if not rows:
            continue
        table = _table(name)
        if dialect.name == "postgresql":
            columns = tuple(rows[0])
            statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
            converters = [(i, _json) for i, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
        else:
            compiled = insert(table).compile(dialect=dialect, column_keys=list(rows[0]))
            assert compiled.positiontup is not None, "a positional paramstyle (SQLite's qmark)"
            columns, statement = tuple(compiled.positiontup), str(compiled)
            converters = [(i, f) for i, c in enumerate(columns) if (f := _converter(dialect, table.c[c]))]
        prepared.append(PreparedTable(name, statement, _tuples(rows, columns, dict(converters))))
    return prepared


def _table(name: str) -> Any:
    return Base.metadata.tables[name]


def _tuples(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], converters: Mapping[int, Any]
) -> list[tuple[Any, ...]]:
    """The rows as tuples in `columns`' order, each converted column converted."""
    values = itemgetter(*columns)
    if not converters:
        return [values(row) for row in rows]
    converted = list(converters.items())
    out = []
    for row in rows:
        tupled = list(values(row))
        for i, convert in converted:
            if tupled[i] is not None:
                tupled[i] = convert(tupled[i])
        out.append(tuple(tupled))
    return out


def _converter(dialect: Dialect, column: Any) -> Any:
    """How a column's value is stored by this dialect (None: as it is)."""
    if isinstance(column.type, UtcDateTime):
        stored = BulkValues(dialect).time

        def utc_text(value: datetime) -> Any:
            # The generator's datetimes are UTC: their text without converting them first (3x faster).
            return value.isoformat(" ", "microseconds")[:-6] if value.tzinfo is UTC else stored(value)

        return utc_text if all(utc_text(t) == stored(t) for t in SAMPLE_TIMES) else stored
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def _json(value: Any) -> str:
    return json.dumps(value)


def _executemany(connection: Connection, table: PreparedTable) -> None:
    cursor = connection.connection.cursor()
    try:
        cursor.executemany(table.statement, table.rows)
    finally:
        cursor.close()


def _copy(connection: Connection, table: PreparedTable) -> None:
    raw = connection.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(table.statement) as copy:
        for row in table.rows:
            copy.write_row(row)


def _prepared_in_child(dialect: Dialect, batches: Iterable[Rows]) -> Iterator[list[PreparedTable]]:
    """`prepare` of each batch, run in a forked child two batches ahead of the writer. Without fork
    (Windows), in this process."""
    if "fork" not in multiprocessing.get_all_start_methods():
        yield from (prepare(dialect, b) for b in batches)
        return
    context = multiprocessing.get_context("fork")
    queue: Any = context.Queue(maxsize=2)
    child = context.Process(target=_produce, args=(dialect, batches, queue), daemon=True)
    child.start()
    try:
        while (item := queue.get()) is not None:
            if isinstance(item, str):
                raise RuntimeError(f"preparing the rows failed in the child process: {item}")
            yield item
    finally:
        if child.is_alive():
            child.terminate()
        child.join()


def _produce(dialect: Dialect, batches: Iterable[Rows], queue: Any) -> None:
    try:
        for batch in batches:
            queue.put(prepare(dialect, batch))
    except Exception as error:  # noqa: BLE001 - reported to the parent, which raises it
        queue.put(f"{type(error).__name__}: {error}")
        return
    queue.put(None)


def _after_postgres_load(connection: Connection, with_ids: list[str]) -> None:
    """Move each id sequence past the explicit ids written (the next ORM insert must not collide),
    then ANALYZE: the planner has no statistics for rows it never saw arrive."""
    with connection.begin():
        for name in with_ids:
            connection.execute(
                text(f"SELECT setval(pg_get_serial_sequence(:name, 'id'), (SELECT max(id) FROM {name}))"),
                {"name": name},
            )
    connection.execute(text(f"ANALYZE {', '.join(['merchants', *with_ids, 'customer_tags'])}"))
    connection.commit()


def _sqlite_bulk_settings(connection: Connection) -> dict[str, Any]:
    """Set the loading PRAGMAs on this connection; the values they had, to restore. Through the driver's
    connection (in autocommit mode here): `temp_store` cannot change inside a transaction."""
    raw = connection.connection.driver_connection
    assert raw is not None
    before = {
        name: raw.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("cache_size", "temp_store", "wal_autocheckpoint")
    }
    raw.execute(f"PRAGMA cache_size = -{LOAD_CACHE_KIB}")
    raw.execute("PRAGMA temp_store = MEMORY")
    raw.execute(f"PRAGMA wal_autocheckpoint = {LOAD_CHECKPOINT_PAGES}")
    return before


def _restore_sqlite_settings(connection: Connection, before: Mapping[str, Any]) -> None:
    if connection.in_transaction():
        connection.rollback()
    raw = connection.connection.driver_connection
    assert raw is not None
    for name, value in before.items():
        raw.execute(f"PRAGMA {name} = {int(value)}")
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the WAL back to its usual size
