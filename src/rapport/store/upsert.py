"""Batch writes: insert-or-update keyed by (merchant_id, external_id), in each backend's own dialect.

SQLite: statements built with SQLAlchemy's dialect constructs (`INSERT ... ON CONFLICT DO UPDATE`),
compiled once per batch; the rows then go to the driver's executemany with the columns' own bind
processors applied. Skipping SQLAlchemy's per-row parameter machinery is what makes large imports fast
(it was most of the time spent).

PostgreSQL: the rows are `COPY`'d into a temporary staging table of the target's columns (dropped at
commit), then ONE `INSERT ... SELECT ... ON CONFLICT DO UPDATE ... RETURNING` writes them all and says
each row's id and whether it was inserted (`xmax = 0`: a row this statement inserted; the version an
ON CONFLICT update writes carries the updating transaction's lock in xmax). That replaces a lookup of
the ids before and after the write and one INSERT per row (pipelined, still a statement each on the
server), with which imports ran 90-270x slower than `COPY` of the same file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

from sqlalchemy import ARRAY, Table, any_, bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from rapport.domain.errors import RecordRefused, StoreUnavailable
from rapport.domain.records import UpsertOutcome
from rapport.store.statistics import analyze_if_outgrown, note_bulk_write

KEY = ("merchant_id", "external_id")


@contextmanager
def domain_errors(dialect: Dialect | None = None) -> Iterator[None]:
    """Raise the database's refusals as domain errors: a record refused (a constraint, a value out of
    range) as `RecordRefused`, a store that cannot be used now as `StoreUnavailable`.

    With `dialect`, the driver's own exceptions (raw DBAPI cursors) are translated too."""
    dbapi = getattr(dialect, "loaded_dbapi", None) if dialect is not None else None
    refused: tuple[type[BaseException], ...] = (IntegrityError, DataError)
    unavailable: tuple[type[BaseException], ...] = (OperationalError,)
    if dbapi is not None:
        refused += (dbapi.IntegrityError, dbapi.DataError)
        unavailable += (dbapi.OperationalError,)
    try:
        yield
    except refused as exc:
        raise RecordRefused(first_line(exc)) from exc
    except unavailable as exc:
        raise StoreUnavailable(first_line(exc)) from exc


def first_line(exc: BaseException) -> str:
    """The first line of the database's message (without SQLAlchemy's statement and parameters)."""
    text = str(getattr(exc, "orig", None) or exc) if isinstance(exc, SQLAlchemyError) else str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def upsert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> UpsertOutcome:
    """Insert `rows`, updating those whose key exists; a key repeated in `rows` keeps its last row.

    Every row carries the same merchant_id and the same columns.
    """
    if not rows:
        return UpsertOutcome(ids={}, existing=frozenset())
    unique = list({row["external_id"]: row for row in rows}.values())
    if session.get_bind().dialect.name == "postgresql":
        return _copy_upsert(session, table, unique)
    merchant_id = unique[0]["merchant_id"]
    keys = [row["external_id"] for row in unique]
    existing = existing_ids(session, table, merchant_id=merchant_id, external_ids=keys)
    stmt = _dialect_insert(session, table)
    changed = {name: stmt.excluded[name] for name in unique[0] if name not in KEY}
    execute_many(session, stmt.on_conflict_do_update(index_elements=list(KEY), set_=changed), table, unique)
    ids = existing_ids(session, table, merchant_id=merchant_id, external_ids=keys)
    return UpsertOutcome(ids=ids, existing=frozenset(existing))


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Plain batch insert of `rows` (all with the same columns); on PostgreSQL one `COPY`."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        execute_many(session, insert(table), table, rows)
        return
    connection = session.connection()
    note_bulk_write(session, table.name, len(rows))
    columns = list(rows[0])
    with domain_errors(connection.dialect), raw_cursor(session) as cursor:
        copy_rows(cursor, table.name, columns, _converted(table, columns, rows, connection.dialect))
        analyze_if_outgrown(session, table.name)


def existing_ids(
    session: Session, table: Table, *, merchant_id: int, external_ids: Sequence[str]
) -> dict[str, int]:
    """Row ids of the external ids that the merchant already has."""
    if not external_ids:
        return {}
    # One parameter for the whole list: on PostgreSQL an array (`= ANY(%s)`, one plan whatever the
    # length); elsewhere an expanding IN, for which SQLAlchemy does not build a bind object per id.
    if session.get_bind().dialect.name == "postgresql":
        matches = table.c.external_id == any_(
            bindparam("external_ids", type_=ARRAY(table.c.external_id.type))
        )
    else:
        matches = table.c.external_id.in_(bindparam("external_ids", expanding=True))
    query = select(table.c.external_id, table.c.id).where(table.c.merchant_id == merchant_id, matches)
    found = session.execute(query, {"external_ids": list(set(external_ids))})
    return {external_id: row_id for external_id, row_id in found}


def execute_many(session: Session, stmt: Insert, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Run `stmt` once per row through the driver's executemany, in the session's transaction."""
    connection = session.connection()
    dialect = connection.dialect
    note_bulk_write(session, table.name, len(rows))
    columns = list(rows[0])
    compiled = stmt.compile(dialect=dialect, column_keys=columns)
    order = list(compiled.positiontup or []) if compiled.positional else columns
    converters = [(i, fn) for i, name in enumerate(order) if (fn := _bind_processor(table, name, dialect))]
    pick = itemgetter(*order)
    params: list[Any] = [_values(pick(row), converters) for row in rows]
    if not compiled.positional:
        params = [dict(zip(order, values, strict=True)) for values in params]
    connection.exec_driver_sql(str(compiled), params)


def _converted(
    table: Table, columns: Sequence[str], rows: Sequence[Mapping[str, Any]], dialect: Dialect
) -> list[tuple[Any, ...]]:
    """The rows as tuples in `columns`' order, each value as its column's bind processor makes it."""
    converters = [(i, fn) for i, name in enumerate(columns) if (fn := _bind_processor(table, name, dialect))]
    pick = itemgetter(*columns)
    return [_values(pick(row), converters) for row in rows]


def _values(picked: Any, converters: list[tuple[int, Callable[[Any], Any]]]) -> tuple[Any, ...]:
    values = list(picked) if isinstance(picked, tuple) else [picked]
    for i, convert in converters:
        if values[i] is not None:
            values[i] = convert(values[i])
    return tuple(values)


def _bind_processor(table: Table, name: str, dialect: Dialect) -> Callable[[Any], Any] | None:
    return table.c[name].type.dialect_impl(dialect).bind_processor(dialect)


def _dialect_insert(session: Session, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return sqlite.insert(table)
    if dialect == "postgresql":
        return postgresql.insert(table)
    raise NotImplementedError(f"Rapport's store supports SQLite and PostgreSQL, not {dialect}")


# -- PostgreSQL: COPY into a staging table, then one set-based upsert ------------------------------


@contextmanager
def raw_cursor(session: Session) -> Iterator[Any]:
    """A cursor of the driver (psycopg) on the session's connection, inside its transaction."""
    raw = session.connection().connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor:
        yield cursor


def copy_rows(cursor: Any, target: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """`COPY` the rows (tuples in `columns`' order) into table `target` (names are our own, never input)."""
    with cursor.copy(f"COPY {target} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def create_stage(cursor: Any, name: str, select_list: str) -> None:
    """A temporary table `name` with the columns (and types) of `SELECT select_list`, without any row,
    constraint or index; dropped at commit. One already made in this transaction is replaced."""
    cursor.execute(
        f"DROP TABLE IF EXISTS pg_temp.{name}; "
        f"CREATE TEMPORARY TABLE {name} ON COMMIT DROP AS SELECT {select_list} WITH NO DATA"
    )


def _copy_upsert(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> UpsertOutcome:
    """`upsert_rows` on PostgreSQL (the rows' keys are unique): COPY into a stage, one upsert."""
    connection = session.connection()
    note_bulk_write(session, table.name, len(rows))
    columns = list(rows[0])
    names = ", ".join(columns)  # the models' own names, none of which PostgreSQL needs quoted
    stage = f"rapport_stage_{table.name}"
    changed = [name for name in columns if name not in KEY] or ["external_id"]  # SET needs one
    upsert = (
        f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {stage} "
        # ctid order is the COPY's order (the stage was only appended to): ids follow the rows' order.
        "ORDER BY ctid "
        f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET "
        + ", ".join(f"{name} = EXCLUDED.{name}" for name in changed)
        + " RETURNING external_id, id, xmax = 0"
    )
    with domain_errors(connection.dialect), raw_cursor(session) as cursor:
        create_stage(cursor, stage, f"{names} FROM {table.name}")
        copy_rows(cursor, stage, columns, _converted(table, columns, rows, connection.dialect))
        cursor.execute(upsert)
        written = cursor.fetchall()
        analyze_if_outgrown(session, table.name)
    ids = {external_id: row_id for external_id, row_id, _ in written}
    existing = frozenset(external_id for external_id, _, inserted in written if not inserted)
    return UpsertOutcome(ids=ids, existing=existing)
