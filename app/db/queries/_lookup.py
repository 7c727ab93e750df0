"""Shared shapes of the read queries: rows by id within a merchant, text search."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Row,
    Select,
    Table,
    Text,
    Uuid,
    any_,
    bindparam,
    cast,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.driver import RowsStatement, Transactional


def uuid_array(name: str) -> Any:
    """A bound list of UUIDs sent as one array parameter (`column == any_(uuid_array(..))`):
    the statement's text and cache key stay the same whatever the number of ids, where an
    expanding IN renders one parameter per id on every execution (about 1 µs each on a
    page's batch of 300) and makes each count a statement of its own for PostgreSQL."""
    return bindparam(name, type_=ARRAY(Uuid()))


async def rows_by_id(
    session: AsyncSession, table: Table, merchant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
    """Rows of `table` with these ids that belong to the merchant; others are absent."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    rows = await session.execute(_by_ids(table), {"merchant_id": merchant_id, "ids": wanted})
    return {row.id: row for row in rows}


async def plain_rows_by_id(
    unit: Transactional, table: Table, merchant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Any]:
    """`rows_by_id`'s rows as namedtuples, read through the driver when driver statements
    are on (app/db/driver.RowsStatement), `units` as JSON text (`units_as_text`): what
    the GraphQL loaders build objects from."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    rows = await _plain_by_ids(table).fetch(unit, {"merchant_id": merchant_id, "ids": wanted})
    return {row.id: row for row in rows}


@lru_cache(maxsize=64)
def _plain_by_ids(table: Table) -> RowsStatement:
    return RowsStatement(
        select(*(units_as_text(column) for column in table.c)).where(
            table.c.merchant_id == bindparam("merchant_id"), table.c.id == any_(uuid_array("ids"))
        )
    )


def units_as_text(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """An item's or material's `units` column as its JSON text (other columns as they are):
    decoding it cost ~3 µs a row, on every row of a page or a batch of recipe materials,
    where few selections ask for units (app/services/unit_conversion decodes the text)."""
    if getattr(column, "name", None) != "units":
        return column
    return cast(column, Text).label("units")


@lru_cache(maxsize=64)
def _by_ids(table: Table) -> Select[Any]:
    return select(table).where(
        table.c.merchant_id == bindparam("merchant_id"), table.c.id == any_(uuid_array("ids"))
    )


def contains_text(term: str, *columns: ColumnElement[Any]) -> ColumnElement[bool]:
    """Case-insensitive substring match on any of the columns (% and _ taken literally)."""
    return matches_pattern(containing(term), *columns)


def containing(term: str) -> str:
    """The LIKE pattern of `term` anywhere, % and _ taken literally (`matches_pattern`)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def matches_pattern(pattern: Any, *columns: ColumnElement[Any]) -> ColumnElement[bool]:
    """Case-insensitive match of a `containing` pattern (a value, or a bound parameter
    for a statement built once) on any of the columns."""
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))
