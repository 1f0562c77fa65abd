"""Batch writes: insert-or-update keyed by (merchant_id, external_id), in each backend's own dialect.

Statements are built with SQLAlchemy's dialect constructs (`INSERT ... ON CONFLICT DO UPDATE` on
SQLite and PostgreSQL) and compiled once per batch; the rows then go to the driver's executemany with
the columns' own bind processors applied. Skipping SQLAlchemy's per-row parameter machinery is what
makes large imports fast (it was most of the time spent).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
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
from rapport.store.statistics import note_bulk_write

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
    merchant_id = unique[0]["merchant_id"]
    keys = [row["external_id"] for row in unique]
    existing = existing_ids(session, table, merchant_id=merchant_id, external_ids=keys)
    stmt = _dialect_insert(session, table)
    changed = {name: stmt.excluded[name] for name in unique[0] if name not in KEY}
    execute_many(session, stmt.on_conflict_do_update(index_elements=list(KEY), set_=changed), table, unique)
    ids = existing_ids(session, table, merchant_id=merchant_id, external_ids=keys)
    return UpsertOutcome(ids=ids, existing=frozenset(existing))


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Plain batch insert of `rows` (all with the same columns)."""
    if rows:
        execute_many(session, insert(table), table, rows)


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
