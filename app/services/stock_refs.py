"""Resolving a `StockRef` (a stock id, or location + item) to the stock it names.

Entry points pass what the caller sent; this is where "another merchant's id
behaves exactly like an unknown id" and "archived things take no writes" are
decided for every stock write.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.driver import DriverStatement, driver_connection
from app.domain.enums import ItemType
from app.domain.errors import FieldPath, ProblemCollector, UserErrorCode
from app.domain.units import UnitBook
from app.services.stock_ledger import LockedStock, StockKey, locked_stocks
from app.services.unit_conversion import book_from_row


@dataclass(frozen=True)
class StockRef:
    """A stock named by its id, or by location + item type + item id (the row may not exist).

    For PRODUCT the item id is an inventory item id; for MATERIAL a material id.
    Give one form or the other, not both.
    """

    stock_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None
    item_type: ItemType | None = None
    item_id: uuid.UUID | None = None

    def as_input(self) -> dict[str, object]:
        """The ref as the contract spells it (for request hashes and logs)."""
        return {
            "stockId": self.stock_id,
            "locationId": self.location_id,
            "itemType": self.item_type,
            "itemId": self.item_id,
        }


async def resolve_stock_ref(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    ref: StockRef,
    field: FieldPath,
    *,
    allow_archived: bool = False,
) -> StockKey:
    """The stock `ref` names for this merchant, or a DomainError with every problem found.

    Unknown and other merchants' ids are NOT_FOUND; an archived location or item is
    ARCHIVED unless `allow_archived` (reads); missing parts are REQUIRED. Field paths
    are `field` + the ref's own field name, e.g. ("input", "stock", "locationId").
    """
    problems = ProblemCollector()
    key = await collect_stock_ref(session, merchant_id, ref, field, problems, allow_archived)
    problems.raise_if_any()
    assert key is not None
    return key


async def collect_stock_ref(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    ref: StockRef,
    field: FieldPath,
    problems: ProblemCollector,
    allow_archived: bool = False,
) -> StockKey | None:
    """Like `resolve_stock_ref`, but adds problems to the caller's collector (None if any)."""
    if ref.stock_id is not None:
        if ref.location_id is not None or ref.item_type is not None or ref.item_id is not None:
            problems.add(
                UserErrorCode.INVALID,
                "give stockId, or locationId with itemType and itemId, not both",
                (*field, "stockId"),
            )
            return None
        row = await _by_stock_id(
            session, merchant_id, ref.stock_id, field, problems, allow_archived
        )
        return None if row is None else _key_of(row)
    before = len(problems.problems)
    for name, value in (
        ("locationId", ref.location_id),
        ("itemType", ref.item_type),
        ("itemId", ref.item_id),
    ):
        if value is None:
            problems.add(UserErrorCode.REQUIRED, "a stockId or this is required", (*field, name))
    if ref.location_id is not None:
        await check_location(session, merchant_id, ref.location_id, field, problems, allow_archived)
    if ref.item_type is not None and ref.item_id is not None:
        await _check_item(
            session, merchant_id, ref.item_type, ref.item_id, field, problems, allow_archived
        )
    if len(problems.problems) > before or ref.location_id is None:
        return None
    if ref.item_type is None or ref.item_id is None:
        return None
    return StockKey(ref.location_id, ref.item_type, ref.item_id)


async def collect_locked_stock(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    ref: StockRef,
    field: FieldPath,
    problems: ProblemCollector,
) -> tuple[StockKey | None, UnitBook | None, LockedStock | None]:
    """`collect_stock_ref` for a write of one stock: a stock id is resolved, locked and
    its item's units read in one statement (key, book, locked stock); a location and
    item give the key only (lock and read the rest apart: the row may not exist yet)."""
    if ref.stock_id is None or ref.location_id or ref.item_type or ref.item_id:
        return await collect_stock_ref(session, merchant_id, ref, field, problems), None, None
    row = await _by_stock_id(session, merchant_id, ref.stock_id, field, problems, False, lock=True)
    if row is None:
        return None, None, None
    [held] = locked_stocks([row]).values()
    prefix = "item" if held.item_type is ItemType.PRODUCT else "material"
    return held.key, book_from_row(row[f"{prefix}_unit"], row[f"{prefix}_units"]), held


async def _by_stock_id(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    stock_id: uuid.UUID,
    field: FieldPath,
    problems: ProblemCollector,
    allow_archived: bool,
    *,
    lock: bool = False,
) -> Any:
    """The stock's row (_STOCK_BY_ID's, or _LOCK_BY_ID's holding it), None with a
    problem when it is not the merchant's or (unless allowed) archived."""
    connection = await driver_connection(session)
    statement = _LOCK_BY_ID if lock else _STOCK_BY_ID
    row = await statement.fetchrow(connection, {"merchant_id": merchant_id, "stock_id": stock_id})
    path = (*field, "stockId")
    if row is None:
        problems.add(UserErrorCode.NOT_FOUND, "no such stock", path)
        return None
    product = ItemType(row["item_type"]) is ItemType.PRODUCT
    item_archived = row["item_archived"] if product else row["material_archived"]
    if not allow_archived and row["location_archived"]:
        problems.add(UserErrorCode.ARCHIVED, "the stock's location is archived", path)
        return None
    if not allow_archived and item_archived:
        problems.add(UserErrorCode.ARCHIVED, "the stock's item is archived", path)
        return None
    return row


def _key_of(row: Any) -> StockKey:
    item_type = ItemType(row["item_type"])
    product = item_type is ItemType.PRODUCT
    return StockKey(
        row["location_id"], item_type, row["inventory_item_id"] if product else row["material_id"]
    )


def _stock_by_id(*, lock: bool) -> DriverStatement:
    """A stock of the merchant by id: its key and whether its location and item are
    archived; to lock it (FOR UPDATE), also what `locked_stocks` reads of a locked row
    and its item's units (a write converts with them)."""
    stock, location = t.stock, t.location
    item, material = t.inventory_item, t.material
    columns = [
        stock.c.location_id,
        stock.c.item_type,
        stock.c.inventory_item_id,
        stock.c.material_id,
        location.c.archived.label("location_archived"),
        item.c.archived.label("item_archived"),
        material.c.archived.label("material_archived"),
    ]
    if lock:
        columns += [
            stock.c.id,
            stock.c.merchant_id,
            stock.c.on_hand,
            stock.c.reserved,
            stock.c.version,
            stock.c.low_stock_threshold,
            stock.c.par_level,
            stock.c.reorder_point,
            item.c.product_variant_id,
            item.c.unit.label("item_unit"),
            item.c.units.label("item_units"),
            material.c.unit.label("material_unit"),
            material.c.units.label("material_units"),
        ]
    statement = (
        select(*columns)
        .select_from(
            stock.join(location, location.c.id == stock.c.location_id)
            .outerjoin(item, item.c.id == stock.c.inventory_item_id)
            .outerjoin(material, material.c.id == stock.c.material_id)
        )
        .where(
            stock.c.merchant_id == bindparam("merchant_id", type_=stock.c.merchant_id.type),
            stock.c.id == bindparam("stock_id", type_=stock.c.id.type),
        )
    )
    return DriverStatement(statement.with_for_update(of=stock) if lock else statement)


_STOCK_BY_ID = _stock_by_id(lock=False)
_LOCK_BY_ID = _stock_by_id(lock=True)


async def check_location(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    location_id: uuid.UUID,
    field: FieldPath,
    problems: ProblemCollector,
    allow_archived: bool = False,
) -> None:
    """NOT_FOUND on (*field, "locationId") unless it is the merchant's location; ARCHIVED
    when archived (unless `allow_archived`)."""
    archived = (
        await session.execute(
            select(t.location.c.archived).where(
                t.location.c.merchant_id == merchant_id, t.location.c.id == location_id
            )
        )
    ).scalar_one_or_none()
    path = (*field, "locationId")
    if archived is None:
        problems.add(UserErrorCode.NOT_FOUND, "no such location", path)
    elif archived and not allow_archived:
        problems.add(UserErrorCode.ARCHIVED, "the location is archived", path)


async def _check_item(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    item_type: ItemType,
    item_id: uuid.UUID,
    field: FieldPath,
    problems: ProblemCollector,
    allow_archived: bool,
) -> None:
    table = t.inventory_item if item_type is ItemType.PRODUCT else t.material
    archived = (
        await session.execute(
            select(table.c.archived).where(
                table.c.merchant_id == merchant_id, table.c.id == item_id
            )
        )
    ).scalar_one_or_none()
    path = (*field, "itemId")
    noun = "inventory item" if item_type is ItemType.PRODUCT else "material"
    if archived is None:
        problems.add(UserErrorCode.NOT_FOUND, f"no such {noun}", path)
    elif archived and not allow_archived:
        problems.add(UserErrorCode.ARCHIVED, f"the {noun} is archived", path)
