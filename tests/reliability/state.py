"""A fingerprint of everything stored, to show a refused request changed nothing."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.models import metadata

Sessions = async_sessionmaker[AsyncSession]


async def snapshot(sessions: Sessions) -> dict[str, Any]:
    """Row counts of every table, and the sums of every stock's quantities and versions."""
    stock = t.stock
    async with sessions() as session:
        state: dict[str, Any] = {
            table.name: int(
                (await session.execute(select(func.count()).select_from(table))).scalar_one()
            )
            for table in metadata.sorted_tables
        }
        sums = (
            await session.execute(
                select(
                    func.coalesce(func.sum(stock.c.on_hand), 0),
                    func.coalesce(func.sum(stock.c.reserved), 0),
                    func.coalesce(func.sum(stock.c.version), 0),
                )
            )
        ).one()
    state["stock sums"] = tuple(str(v) for v in sums)
    return state


async def merchant_rows(sessions: Sessions, merchant_id: uuid.UUID) -> dict[str, str]:
    """Per table, a digest of every row of one merchant, in key order: any change shows."""
    digests: dict[str, str] = {}
    async with sessions() as session:
        for table in metadata.sorted_tables:
            if "merchant_id" not in table.c:
                continue
            keys = ", ".join(c.name for c in table.primary_key)
            statement = text(
                f"SELECT count(*) || ':' || "
                f"coalesce(md5(string_agg(r::text, '|' ORDER BY {keys})), '')"
                f" FROM {table.name} r WHERE merchant_id = :merchant"
            )
            digests[table.name] = str(
                (await session.execute(statement, {"merchant": merchant_id})).scalar_one()
            )
    return digests


def changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {
        k: (before.get(k), after.get(k)) for k in before | after if before.get(k) != after.get(k)
    }
