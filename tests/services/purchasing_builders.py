"""Givens for the purchasing and transfer tests: rows seeded straight through the models."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.models import InventoryItem, Location, Material, Vendor
from app.db.queries.ledger import check_ledger
from app.domain.enums import MovementType, ReferenceType
from app.services.context import Actor
from app.services.stock_ledger import Move, StockKey, apply_moves, lock_stocks

Sessions = async_sessionmaker[AsyncSession]
SCHEMAS = Path(__file__).resolve().parents[2] / "contracts" / "events"


def new_actor(label: str = "user:buyer") -> Actor:
    return Actor(uuid.uuid4(), label)


async def location(
    sessions: Sessions, actor: Actor, name: str = "Main", *, archived: bool = False
) -> uuid.UUID:
    async with sessions.begin() as session:
        row = Location(merchant_id=actor.merchant_id, name=name, archived=archived)
        session.add(row)
    return row.id


async def material(
    sessions: Sessions,
    actor: Actor,
    name: str = "Milk",
    *,
    unit: str = "ml",
    archived: bool = False,
    average_unit_cost: Decimal | None = None,
) -> uuid.UUID:
    async with sessions.begin() as session:
        row = Material(
            merchant_id=actor.merchant_id,
            name=name,
            unit=unit,
            archived=archived,
            average_unit_cost=average_unit_cost,
        )
        session.add(row)
    return row.id


async def inventory_item(
    sessions: Sessions, actor: Actor, name: str = "Croissant", *, archived: bool = False
) -> uuid.UUID:
    async with sessions.begin() as session:
        row = InventoryItem(
            merchant_id=actor.merchant_id,
            product_variant_id=uuid.uuid4(),
            name=name,
            track_inventory=True,
            archived=archived,
        )
        session.add(row)
    return row.id


async def vendor(
    sessions: Sessions, actor: Actor, name: str = "Dairy Co", *, archived: bool = False
) -> uuid.UUID:
    async with sessions.begin() as session:
        row = Vendor(
            merchant_id=actor.merchant_id,
            name=name,
            tax_id="DE123",
            email="orders@dairy.example",
            archived=archived,
        )
        session.add(row)
    return row.id


async def put_stock(sessions: Sessions, actor: Actor, key: StockKey, quantity: str) -> None:
    """Give a stock on hand through the ledger, so the ledger invariant holds."""
    async with sessions.begin() as session:
        stocks = await lock_stocks(session, actor.merchant_id, [key])
        move = Move(
            key, MovementType.ADJUSTMENT, ReferenceType.MANUAL, str(uuid.uuid4()), Decimal(quantity)
        )
        await apply_moves(session, actor, stocks, [move])


async def on_hand(sessions: Sessions, key: StockKey) -> Decimal:
    """On hand of the stock at `key`, 0 when it has no row."""
    column = t.stock.c.inventory_item_id if key.item_type == "PRODUCT" else t.stock.c.material_id
    async with sessions() as session:
        value = (
            await session.execute(
                select(t.stock.c.on_hand).where(
                    t.stock.c.location_id == key.location_id, column == key.item_id
                )
            )
        ).scalar_one_or_none()
    return Decimal(0) if value is None else value


async def outbox(sessions: Sessions, topic: str) -> list[Any]:
    async with sessions() as session:
        rows = await session.execute(
            select(t.outbox_event)
            .where(t.outbox_event.c.topic == topic)
            .order_by(t.outbox_event.c.seq)
        )
        return list(rows.all())


async def assert_ledger_holds(sessions: Sessions, actor: Actor) -> None:
    async with sessions() as session:
        check = await check_ledger(session, merchant_id=actor.merchant_id)
    assert check.stocks_checked > 0
    assert check.discrepancies == []


def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return datetime.fromisoformat(value).utcoffset() is not None


@cache
def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    checker = FormatChecker()
    # The installed jsonschema checks date-time only with an optional extra; RFC 3339
    # with an offset is what the contract means.
    checker.checks("date-time", raises=ValueError)(_is_datetime)
    return Draft202012Validator(schema, format_checker=checker)


def assert_valid(name: str, payload: Any) -> None:
    """The payload validates against contracts/events/<name>.schema.json, formats included."""
    errors = [e.message for e in _validator(name).iter_errors(payload)]
    assert errors == []
