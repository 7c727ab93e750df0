"""Keyset pages over time-ordered UUIDv7 ids: stable under inserts, no OFFSET scans."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, Uuid, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class KeysetPage:
    """`limit` rows after `after` (or before `before`, counting back from the end)."""

    limit: int
    after: uuid.UUID | None = None
    before: uuid.UUID | None = None
    backward: bool = False

    @property
    def shape(self) -> PageShape:
        return PageShape(self.after is not None, self.before is not None, self.backward)


@dataclass(frozen=True)
class PageShape:
    """What a page's statement depends on besides values: which cursors, which way."""

    after: bool
    before: bool
    backward: bool


@dataclass(frozen=True)
class KeysetResult:
    rows: list[Any]  # Rows (or namedtuples of their columns), always in ascending id order
    has_more: bool  # more rows beyond the page in the direction of travel


async def fetch_page(
    session: AsyncSession,
    statement: Select[Any],
    id_column: ColumnElement[uuid.UUID],
    page: KeysetPage,
) -> KeysetResult:
    """One page of `statement` (already filtered by merchant) in id order."""
    if page.after is not None:
        statement = statement.where(id_column > page.after)
    if page.before is not None:
        statement = statement.where(id_column < page.before)
    order = id_column.desc() if page.backward else id_column.asc()
    rows = list((await session.execute(statement.order_by(order).limit(page.limit + 1))).all())
    return keyset_result(rows, page)


def bound_page(
    statement: Select[Any],
    id_column: ColumnElement[uuid.UUID],
    shape: PageShape,
    prefix: str = "",
) -> Select[Any]:
    """`fetch_page`'s statement for the pages of this shape, its values bound parameters
    (`keyset_params`, their names prefixed for several pages in one statement): one
    statement, built and compiled once, for all of them."""
    if shape.after:
        statement = statement.where(id_column > bindparam(f"{prefix}after", type_=Uuid))
    if shape.before:
        statement = statement.where(id_column < bindparam(f"{prefix}before", type_=Uuid))
    order = id_column.desc() if shape.backward else id_column.asc()
    return statement.order_by(order).limit(bindparam(f"{prefix}limit", type_=Integer))


def keyset_params(page: KeysetPage, prefix: str = "") -> dict[str, Any]:
    """The values of `bound_page`'s parameters: one row more than the limit tells
    whether there are more."""
    params: dict[str, Any] = {f"{prefix}limit": page.limit + 1}
    if page.after is not None:
        params[f"{prefix}after"] = page.after
    if page.before is not None:
        params[f"{prefix}before"] = page.before
    return params


def keyset_result(rows: list[Any], page: KeysetPage) -> KeysetResult:
    """The page from the rows read in the direction of travel, one more than the limit
    when there are more: those kept in ascending id order."""
    has_more = len(rows) > page.limit
    rows = rows[: page.limit]
    if page.backward:
        rows.reverse()
    return KeysetResult(rows, has_more)


async def count_rows(session: AsyncSession, statement: Select[Any]) -> int:
    counted = select(func.count()).select_from(statement.order_by(None).subquery())
    return int((await session.execute(counted)).scalar_one())
