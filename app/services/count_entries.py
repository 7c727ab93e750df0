"""Recording what staff counted: entries per (stock, storage area), in any unit.

A session of a thousand stocks is normal, so recording is set-based: the stocks named
by the entries are resolved with a few statements whatever their number, units are
converted in memory, and entries and line sums are written by one statement each.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, Text, bindparam, column, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.models.base import utcnow
from app.domain.enums import ItemType
from app.domain.errors import FieldPath, ProblemCollector, UserErrorCode
from app.domain.quantities import require_not_negative
from app.domain.units import UnitBook
from app.services.context import Actor
from app.services.count_sessions import known_items, locked_session
from app.services.stock_ledger import StockKey, lock_stocks
from app.services.stock_refs import StockRef
from app.services.text_input import collect, optional_text
from app.services.unit_conversion import book_from_row, convert

AREA_MAX_LENGTH = 100
_uuid = PG_UUID(as_uuid=True)


@dataclass(frozen=True)
class CountEntryInput:
    stock: StockRef
    quantity: Decimal
    area: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class _CountedStock:
    id: uuid.UUID
    location_id: uuid.UUID
    book: UnitBook


async def record_entries(
    sessions: async_sessionmaker[AsyncSession],
    actor: Actor,
    session_id: uuid.UUID,
    entries: Sequence[CountEntryInput],
) -> uuid.UUID:
    """Record `entries` in an OPEN session: an entry for a (stock, area) already recorded
    replaces it (the last one wins within a call), 0 is a count of zero, a quantity in
    any unit of the item is kept as entered beside its base quantity. A stock of another
    location is INVALID; every problem is reported at its entry's field path."""
    problems = ProblemCollector()
    areas: list[str | None] = []
    for i, entry in enumerate(entries):
        collect(problems, require_not_negative, entry.quantity, ("entries", i, "quantity"))
        areas.append(
            optional_text(entry.area, ("entries", i, "area"), problems, max_length=AREA_MAX_LENGTH)
        )
    async with sessions.begin() as session:
        counted = await locked_session(session, actor.merchant_id, session_id)
        stocks = await _resolve(session, actor.merchant_id, counted.location_id, entries, problems)
        rows: dict[tuple[uuid.UUID, str], dict[str, Any]] = {}
        now = utcnow().isoformat()
        for i, entry in enumerate(entries):
            stock = stocks[i]
            if stock is None:
                continue
            entered = convert(
                stock.book,
                entry.quantity,
                entry.unit,
                problems,
                ("entries", i, "unit"),
                ("entries", i, "quantity"),
            )
            if entered is None:
                continue
            area = areas[i] or ""
            rows[stock.id, area] = {
                "stock_id": str(stock.id),
                "area": area,
                "quantity": str(entry.quantity),
                "unit": entered.unit or stock.book.base,
                "quantity_base": str(entered.base),
                "recorded_at": now,
            }
        problems.raise_if_any()
        if rows:
            await _write(session, actor, session_id, list(rows.values()))
    return session_id


_entries = (
    func.jsonb_to_recordset(bindparam("entries", type_=JSONB))
    .table_valued(
        column("stock_id", _uuid),
        column("area", Text()),
        column("quantity", Numeric()),
        column("unit", Text()),
        column("quantity_base", Numeric()),
        column("recorded_at", t.count_entry.c.recorded_at.type),
    )
    .render_derived(name="entries", with_types=True)
)


async def _write(
    session: AsyncSession, actor: Actor, session_id: uuid.UUID, rows: list[dict[str, Any]]
) -> None:
    entry, line = t.count_entry, t.count_line
    session_ref = bindparam("session_id", type_=_uuid)
    merchant_ref = bindparam("merchant_id", type_=_uuid)
    upsert = pg_insert(entry).from_select(
        [
            "session_id",
            "stock_id",
            "area",
            "merchant_id",
            "quantity",
            "unit",
            "quantity_base",
            "recorded_at",
            "actor",
        ],
        select(
            session_ref,
            _entries.c.stock_id,
            _entries.c.area,
            merchant_ref,
            _entries.c.quantity,
            _entries.c.unit,
            _entries.c.quantity_base,
            _entries.c.recorded_at,
            bindparam("actor", type_=Text()),
        ),
    )
    upsert = upsert.on_conflict_do_update(
        index_elements=[entry.c.session_id, entry.c.stock_id, entry.c.area],
        set_={
            "quantity": upsert.excluded.quantity,
            "unit": upsert.excluded.unit,
            "quantity_base": upsert.excluded.quantity_base,
            "recorded_at": upsert.excluded.recorded_at,
            "actor": upsert.excluded.actor,
        },
    )
    params = {
        "entries": rows,
        "session_id": session_id,
        "merchant_id": actor.merchant_id,
        "actor": actor.label,
    }
    await session.execute(upsert, params)
    # Each touched line's count is the sum of all its entries, new and old.
    touched = list({row["stock_id"] for row in rows})
    sums = (
        select(
            entry.c.session_id,
            entry.c.stock_id,
            entry.c.merchant_id,
            func.sum(entry.c.quantity_base).label("counted"),
        )
        .where(
            entry.c.session_id == session_id, entry.c.stock_id.in_([uuid.UUID(s) for s in touched])
        )
        .group_by(entry.c.session_id, entry.c.stock_id, entry.c.merchant_id)
    )
    lines = pg_insert(line).from_select(["session_id", "stock_id", "merchant_id", "counted"], sums)
    await session.execute(
        lines.on_conflict_do_update(
            index_elements=[line.c.session_id, line.c.stock_id],
            set_={"counted": lines.excluded.counted},
        )
    )


async def _resolve(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    location_id: uuid.UUID,
    entries: Sequence[CountEntryInput],
    problems: ProblemCollector,
) -> list[_CountedStock | None]:
    """Each entry's stock at the session's location (None, with a problem, when it has
    none): by stock id in one statement; by item in two more, creating the stocks of
    items never held here (counting one is how it starts)."""
    keys: dict[int, StockKey] = {}
    by_id: dict[int, uuid.UUID] = {}
    for i, entry in enumerate(entries):
        ref, field = entry.stock, ("entries", i, "stock")
        if ref.stock_id is not None:
            if ref.location_id is not None or ref.item_id is not None:
                problems.add(
                    UserErrorCode.INVALID,
                    "give stockId, or locationId with itemType and itemId, not both",
                    (*field, "stockId"),
                )
            else:
                by_id[i] = ref.stock_id
            continue
        if ref.location_id is None or ref.item_type is None or ref.item_id is None:
            problems.add(
                UserErrorCode.REQUIRED, "a stockId, or locationId, itemType and itemId", field
            )
        elif ref.location_id != location_id:
            _elsewhere(problems, field)
        else:
            keys[i] = StockKey(location_id, ref.item_type, ref.item_id)
    known = await known_items(session, merchant_id, keys.values())
    for i, key in list(keys.items()):
        if (key.item_type, key.item_id) not in known:
            noun = "inventory item" if key.item_type is ItemType.PRODUCT else "material"
            problems.add(
                UserErrorCode.NOT_FOUND, f"no such {noun}", ("entries", i, "stock", "itemId")
            )
            del keys[i]
    created = await lock_stocks(session, merchant_id, set(keys.values())) if keys else {}
    stock_ids = set(by_id.values()) | {s.id for s in created.values()}
    found = await _stocks_with_books(session, merchant_id, stock_ids)
    resolved: list[_CountedStock | None] = [None] * len(entries)
    for i, stock_id in by_id.items():
        stock = found.get(stock_id)
        field = ("entries", i, "stock")
        if stock is None:
            problems.add(UserErrorCode.NOT_FOUND, "no such stock", (*field, "stockId"))
        elif stock.location_id != location_id:
            _elsewhere(problems, field)
        else:
            resolved[i] = stock
    for i, key in keys.items():
        resolved[i] = found[created[key].id]
    return resolved


def _elsewhere(problems: ProblemCollector, field: FieldPath) -> None:
    problems.add(
        UserErrorCode.INVALID, "the stock is at another location than the count session's", field
    )


async def _stocks_with_books(
    session: AsyncSession, merchant_id: uuid.UUID, stock_ids: set[uuid.UUID]
) -> dict[uuid.UUID, _CountedStock]:
    if not stock_ids:
        return {}
    stock, item, material = t.stock, t.inventory_item, t.material
    rows = await session.execute(
        select(
            stock.c.id,
            stock.c.location_id,
            func.coalesce(item.c.unit, material.c.unit).label("unit"),
            func.coalesce(item.c.units, material.c.units).label("units"),
        )
        .select_from(
            stock.outerjoin(item, item.c.id == stock.c.inventory_item_id).outerjoin(
                material, material.c.id == stock.c.material_id
            )
        )
        .where(stock.c.merchant_id == merchant_id, stock.c.id.in_(stock_ids))
    )
    return {
        row.id: _CountedStock(row.id, row.location_id, book_from_row(row.unit, row.units))
        for row in rows
    }


__all__ = ["CountEntryInput", "record_entries"]
