"""Connection rows are read as namedtuples of the same fields, when their names allow it."""

from __future__ import annotations

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncEngine

from graphql_schema.relay import plain_rows


async def _rows(engine: AsyncEngine, *labels: str) -> list[object]:
    statement = select(*(literal(i).label(name) for i, name in enumerate(labels)))
    async with engine.connect() as connection:
        return list((await connection.execute(statement)).all())


async def test_rows_become_namedtuples_with_the_same_fields(engine: AsyncEngine) -> None:
    rows = await _rows(engine, "id", "name")

    plain = plain_rows(rows)

    assert [(row.id, row.name) for row in plain] == [(0, 1)]  # type: ignore[attr-defined]
    assert [tuple(row) for row in plain] == [tuple(row) for row in rows]  # type: ignore[arg-type]
    assert type(plain[0]) is not type(rows[0])


async def test_names_a_namedtuple_cannot_carry_keep_the_rows(engine: AsyncEngine) -> None:
    for labels in (("id", "class"), ("id", "_hidden")):
        rows = await _rows(engine, *labels)

        assert plain_rows(rows) is rows


def test_other_rows_and_no_rows_pass_through() -> None:
    rows = [("a", 1)]

    assert plain_rows(rows) is rows
    assert plain_rows([]) == []
