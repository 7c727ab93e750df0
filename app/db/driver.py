"""Hot-path Core statements run on the transaction's own asyncpg connection.

SQLAlchemy's execution path costs about 0.2-0.3 ms of CPU per statement, asyncpg's
about 0.08 ms. A `DriverStatement` is a Core statement compiled once, at import, for
the asyncpg dialect; it runs on the driver connection under the session's connection,
inside the session's transaction (begun here if no statement began it yet), so it
commits and rolls back with everything else the session does. Parameters go through
the same bind processors SQLAlchemy would apply (JSON is serialized, enums become
their names); rows come back as asyncpg records. Lists must be array parameters
(`= ANY(...)`): expanding IN parameters are rendered per call and are refused here.

Errors are asyncpg's own (with their SQLSTATE), not SQLAlchemy's wrappers: callers
that tell an outage from a bug (`app.db.errors`, `consumers.failures`) read both.
A connection lost under a driver statement is found closed when it is checked in or
out again, and replaced (`app.db.engine`).

This reaches into SQLAlchemy's asyncpg adapter (its lazy transaction, its autocommit
flag). `DATABASE_DRIVER_STATEMENTS=false` (`use_driver_statements(False)`) turns the
fast path off: the same statements then run through SQLAlchemy on the session or
connection itself, and `locked_transaction` begins with SQLAlchemy and takes its locks
by a statement each: slower, on public APIs only, for when an upgrade breaks the
internals.
"""

from __future__ import annotations

import contextlib
import re
import weakref
from collections import namedtuple
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeAlias, cast

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import Float, Row, Select, text
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler

# Where a transaction's statements may run: a session's, a connection's, or the
# driver connection of a `locked_transaction`.
Transactional: TypeAlias = "AsyncSession | AsyncConnection | asyncpg.Connection"
# The driver connection of each open transaction (root SessionTransaction or
# RootTransaction), forgotten with it.
_drivers: weakref.WeakKeyDictionary[object, asyncpg.Connection] = weakref.WeakKeyDictionary()
_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]
# Where a session opened on a `locked_transaction` keeps its driver connection.
DRIVER_INFO_KEY = "inventory.driver"
_NUMERIC_OID, _FLOAT8_OID = 1700, 701
# What may be inlined in a lock's simple query: letters, digits, '-', ':' (ids and tags).
_LOCK_KEY = re.compile(r"[A-Za-z0-9:_-]{1,200}")


class _Switch:
    enabled = True


def use_driver_statements(enabled: bool) -> None:
    """Process-wide: set by each composition root from DATABASE_DRIVER_STATEMENTS."""
    _Switch.enabled = enabled


def driver_statements_enabled() -> bool:
    return _Switch.enabled


class _Row:
    """A SQLAlchemy row read as an asyncpg record is: by position or by column name."""

    __slots__ = ("_row",)

    def __init__(self, row: Row[Any]) -> None:
        self._row = row

    def __getitem__(self, key: int | str) -> Any:
        return self._row[key] if isinstance(key, int) else self._row._mapping[key]


def result_processors(statement: Select[Any]) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    """(position, processor) of each selected column whose value SQLAlchemy converts when
    it reads a row through asyncpg (enums by name, JSON decoded); applied to a record's
    non-null values, they give the values SQLAlchemy's row would hold."""
    found = []
    for at, column in enumerate(statement.selected_columns):
        # The asyncpg dialect's numeric processors ask the column's PostgreSQL type (by
        # oid): NUMERIC comes back from asyncpg as Decimal, double precision as float.
        oid = _FLOAT8_OID if isinstance(column.type, Float) else _NUMERIC_OID
        process = column.type.dialect_impl(_DIALECT).result_processor(_DIALECT, oid)
        if process is not None:
            found.append((at, process))
    return tuple(found)


class RowsStatement:
    """A SELECT whose rows are read as namedtuples of its columns (attribute access at
    ~0.05 µs where a SQLAlchemy Row's costs ~1.4 µs), through the driver when driver
    statements are on (asyncpg records, the values SQLAlchemy would convert converted by
    its own result processors), else through the session, SQLAlchemy converting them."""

    def __init__(self, statement: Select[Any], constants: Mapping[str, Any] | None = None) -> None:
        """`constants`: attributes every row answers without the statement reading them
        (a value its WHERE fixes: not decoded nor converted per row)."""
        self.driver = DriverStatement(statement)
        self._processors = result_processors(statement)
        names = [str(column.key) for column in statement.selected_columns]
        fields: Any = namedtuple("row", names)  # type: ignore[misc]
        row_type: Any = (
            type("row", (fields,), {"__slots__": (), **constants}) if constants else fields
        )
        self._make: Callable[[Any], Any] = row_type._make

    async def fetch(self, unit: Transactional, params: Mapping[str, Any]) -> list[Any]:
        """Its rows on `unit`: a session, or the request's driver connection
        (graphql_schema/reads.py `run_driver`)."""
        make, processors = self._make, self._processors
        connection = await driver_connection(unit)
        if not isinstance(connection, asyncpg.Connection):
            rows = await connection.execute(self.driver.statement, params)
            return [make(row) for row in rows]
        records = await self.driver.fetch(connection, params)
        if not processors:
            return [make(record) for record in records]
        return [make(processed(record, processors)) for record in records]


def processed(record: Any, processors: Sequence[tuple[int, Callable[[Any], Any]]]) -> list[Any]:
    """A record's values as SQLAlchemy's row would hold them (`result_processors`)."""
    values = list(record)
    for at, process in processors:
        value = values[at]
        if value is not None:
            values[at] = process(value)
    return values


class DriverStatement:
    def __init__(
        self, statement: ClauseElement, *, column_keys: Sequence[str] | None = None
    ) -> None:
        # `column_keys`: the columns an INSERT's parameter sets give (as SQLAlchemy
        # would take them from the first set).
        compiled = cast(
            SQLCompiler,
            statement.compile(
                dialect=_DIALECT, column_keys=list(column_keys) if column_keys else None
            ),
        )
        names = compiled.positiontup or []
        for name in names:
            if compiled.binds[name].expanding:
                raise ValueError(f"expanding parameter {name!r}: use an array parameter")
        self.sql = compiled.string
        self.statement = cast(Executable, statement)
        self._names = tuple(names)
        self._processors: tuple[Callable[[Any], Any] | None, ...] = tuple(
            compiled.binds[name].type.dialect_impl(_DIALECT).bind_processor(_DIALECT)
            for name in names
        )
        # Values fixed in the statement itself (a literal turned parameter).
        self._fixed = {
            name: compiled.binds[name].value
            for name in names
            if not compiled.binds[name].required and compiled.binds[name].value is not None
        }

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        values = []
        for name, process in zip(self._names, self._processors, strict=True):
            value = params[name] if name in params else self._fixed[name]
            values.append(value if process is None or value is None else process(value))
        return values

    # `connection` is what `driver_connection` gave: the asyncpg connection, or with the
    # fast path off the session or connection, through which SQLAlchemy runs the statement.
    async def fetch(
        self, connection: Transactional, params: Mapping[str, Any]
    ) -> Sequence[asyncpg.Record]:
        if not isinstance(connection, asyncpg.Connection):
            result = await connection.execute(self.statement, dict(params))
            if isinstance(result, CursorResult) and not result.returns_rows:
                return []  # a write without RETURNING: no rows, as asyncpg's fetch gives
            return [_Row(row) for row in result.all()]
        return await connection.fetch(self.sql, *self.args(params))  # type: ignore[no-any-return]

    async def fetchrow(
        self, connection: Transactional, params: Mapping[str, Any]
    ) -> asyncpg.Record | None:
        if not isinstance(connection, asyncpg.Connection):
            rows = await self.fetch(connection, params)
            return rows[0] if rows else None
        return await connection.fetchrow(self.sql, *self.args(params))

    async def executemany(
        self, connection: Transactional, params: Sequence[Mapping[str, Any]]
    ) -> None:
        if not isinstance(connection, asyncpg.Connection):
            await connection.execute(self.statement, [dict(p) for p in params])
            return
        await connection.executemany(self.sql, [self.args(p) for p in params])


async def driver_connection(unit: Transactional) -> asyncpg.Connection:
    """The asyncpg connection of the session's or connection's transaction, that
    transaction begun.

    Remembered for the rest of the transaction (a session keeps one connection per
    transaction): each lookup otherwise costs greenlet switches.
    """
    if isinstance(unit, asyncpg.Connection) or not _Switch.enabled:
        return unit
    if isinstance(unit, AsyncSession) and DRIVER_INFO_KEY in unit.info:
        return unit.info[DRIVER_INFO_KEY]  # type: ignore[no-any-return]
    transaction = _transaction_of(unit)
    remembered = _drivers.get(transaction) if transaction is not None else None
    if remembered is not None:
        return remembered
    connection = await unit.connection() if isinstance(unit, AsyncSession) else unit
    pooled = await connection.get_raw_connection()
    adapted: Any = pooled.dbapi_connection
    # SQLAlchemy's asyncpg adapter begins the database transaction lazily, at its
    # first statement; a driver statement must not run before it, outside it.
    if adapted._transaction is None and not adapted.autocommit:
        await adapted._start_transaction()
    driver = pooled.driver_connection
    transaction = _transaction_of(unit)
    if transaction is not None:
        _drivers[transaction] = driver
    return driver


@contextlib.asynccontextmanager
async def locked_transaction(
    connection: AsyncConnection, lock_keys: str | Iterable[str]
) -> AsyncIterator[asyncpg.Connection]:
    """A transaction on the connection's driver, begun together with transaction-scoped
    advisory locks on `lock_keys` (BEGIN and the locks in one round trip, where
    SQLAlchemy's transaction costs one for BEGIN and one per lock, and ~0.1 ms of CPU
    besides). Several keys are locked in the order of their hashes (the locks' own
    values), so two transactions locking overlapping sets wait instead of deadlocking.

    Committed on a clean exit, rolled back otherwise. SQLAlchemy statements on
    `connection` (or on a session bound to it) run inside it: its adapter is in
    autocommit meanwhile, so it begins nothing of its own. The connection never goes
    back to the pool inside a transaction: when the ROLLBACK cannot run (cancelled, the
    connection lost), the connection is invalidated (and the pool's checkout check
    refuses any connection found in a transaction).
    """
    keys = [lock_keys] if isinstance(lock_keys, str) else sorted(set(lock_keys))
    begin = begin_with_locks(keys)  # also refuses a key that is not a plain literal
    if not _Switch.enabled:
        async with _locked_by_sqlalchemy(connection, keys) as locked:
            yield locked
        return
    pooled = await connection.get_raw_connection()
    adapted: Any = pooled.dbapi_connection
    driver: asyncpg.Connection = pooled.driver_connection
    if adapted._transaction is not None or driver.is_in_transaction():
        raise RuntimeError("locked_transaction on a connection already in a transaction")
    adapted.autocommit = True
    committed = False
    try:
        await driver.execute(begin)
        yield driver
        await driver.execute("COMMIT")
        committed = True
    finally:
        adapted.autocommit = False  # before any await: runs even when cancelled
        if not committed and not driver.is_closed():
            # Always, not only when the driver reports a transaction: after a
            # cancelled query its status may not be known yet (the driver waits for
            # the cancelled query's end first). Outside a transaction it only warns.
            try:
                await driver.execute("ROLLBACK")
            except BaseException:
                await connection.invalidate()
                raise


@contextlib.asynccontextmanager
async def _locked_by_sqlalchemy(
    connection: AsyncConnection, keys: Sequence[str]
) -> AsyncIterator[AsyncConnection]:
    """`locked_transaction` on public APIs: SQLAlchemy's transaction, a lock per statement
    (in the order of their hashes, as the fast path takes them)."""
    async with connection.begin():
        hashes = (
            await connection.execute(
                text(
                    "SELECT DISTINCT hashtextextended(k, 0) AS h "
                    "FROM unnest(CAST(:keys AS text[])) AS k ORDER BY h"
                ),
                {"keys": list(keys)},
            )
        ).scalars()
        for value in list(hashes):
            await connection.execute(text("SELECT pg_advisory_xact_lock(:h)"), {"h": value})
        yield connection


def begin_with_locks(keys: Sequence[str]) -> str:
    """BEGIN and the advisory locks of `keys` in the simple query protocol: two
    statements, one round trip, no parameters (hence each key's check)."""
    if not keys:
        raise ValueError("locked_transaction needs at least one lock key")
    for key in keys:
        if not _LOCK_KEY.fullmatch(key):
            raise ValueError(f"lock key {key!r} is not a plain literal")
    if len(keys) == 1:
        return f"BEGIN; SELECT pg_advisory_xact_lock(hashtextextended('{keys[0]}', 0))"
    # Rows of a subquery's ORDER BY are locked in that order (the locks are taken by
    # the outer projection, row by row).
    listed = ", ".join(f"'{key}'" for key in keys)
    return (
        "BEGIN; SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT "
        f"hashtextextended(k, 0) AS h FROM unnest(ARRAY[{listed}]::text[]) AS k "
        "ORDER BY h) AS held"
    )


def _transaction_of(unit: AsyncSession | AsyncConnection) -> object | None:
    if isinstance(unit, AsyncSession):
        return unit.sync_session.get_transaction()
    return unit.sync_connection.get_transaction() if unit.sync_connection else None
