"""Resolving a `StockRef` (a stock id, or location + item) to the stock it names.

Entry points pass what the caller sent; this is where "another merchant's id
behaves exactly like an unknown id" and "archived things take no writes" are
decided for every stock write.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.driver import DriverStatement, driver_connection
from app.domain.enums import ItemType
from app.domain.errors import FieldPath, ProblemCollector, UserErrorCode
from app.domain.units import UnitBook
from app.services.stock_ledger import StockKey
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
        found = await _by_stock_id(
            session, merchant_id, ref.stock_id, field, problems, allow_archived
        )
        return None if found is None else found[0]
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


async def collect_stock_and_book(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    ref: StockRef,
    field: FieldPath,
    problems: ProblemCollector,
) -> tuple[StockKey | None, UnitBook | None]:
    """`collect_stock_ref` for a write, with the item's unit book when the one statement
    that resolves a stock id could read it too (else None: read it apart)."""
    if ref.stock_id is None or ref.location_id or ref.item_type or ref.item_id:
        return await collect_stock_ref(session, merchant_id, ref, field, problems), None
    found = await _by_stock_id(session, merchant_id, ref.stock_id, field, problems, False)
    return found or (None, None)


async def _by_stock_id(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    stock_id: uuid.UUID,
    field: FieldPath,
    problems: ProblemCollector,
    allow_archived: bool,
) -> tuple[StockKey, UnitBook] | None:
    connection = await driver_connection(session)
    row = await _STOCK_BY_ID.fetchrow(
        connection, {"merchant_id": merchant_id, "stock_id": stock_id}
    )
    path = (*field, "stockId")
    if row is None:
        problems.add(UserErrorCode.NOT_FOUND, "no such stock", path)
        return None
    item_type = ItemType(row["item_type"])
    product = item_type is ItemType.PRODUCT
    item_archived = row["item_archived"] if product else row["material_archived"]
    if not allow_archived and row["location_archived"]:
        problems.add(UserErrorCode.ARCHIVED, "the stock's location is archived", path)
        return None
    if not allow_archived and item_archived:
        problems.add(UserErrorCode.ARCHIVED, "the stock's item is archived", path)
        return None
    item_id = row["inventory_item_id"] if product else row["material_id"]
    prefix = "item" if product else "material"
    book = book_from_row(row[f"{prefix}_unit"], row[f"{prefix}_units"])
    return StockKey(row["location_id"], item_type, item_id), book


def _stock_by_id() -> DriverStatement:
    """A stock of the merchant by id: its key, whether its location and item are
    archived, and its item's units (a write converts with them)."""
    stock, location = t.stock, t.location
    item, material = t.inventory_item, t.material
    return DriverStatement(
        select(
            stock.c.location_id,
            stock.c.item_type,
            stock.c.inventory_item_id,
            stock.c.material_id,
            location.c.archived.label("location_archived"),
            item.c.archived.label("item_archived"),
            material.c.archived.label("material_archived"),
            item.c.unit.label("item_unit"),
            item.c.units.label("item_units"),
            material.c.unit.label("material_unit"),
            material.c.units.label("material_units"),
        )
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


_STOCK_BY_ID = _stock_by_id()


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
