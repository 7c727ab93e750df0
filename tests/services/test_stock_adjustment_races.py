"""Manual stock writes racing each other from separate sessions: no lost or double update."""

import asyncio
import uuid
from collections import Counter
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.models import Location, Material
from app.db.queries.ledger import check_ledger
from app.domain.enums import ItemType, MovementType
from app.domain.errors import DomainError, UserErrorCode
from app.services.context import Actor
from app.services.stock_adjustments import StockChangeResult, adjust_stock, record_waste
from app.services.stock_refs import StockRef

MERCHANT = uuid.uuid4()
ACTOR = Actor(MERCHANT, "user:ana")


async def _stocks(
    sessions: async_sessionmaker[AsyncSession], n: int, start: Decimal
) -> list[StockRef]:
    async with sessions.begin() as session:
        location = Location(merchant_id=MERCHANT, name="Main", is_default=True)
        materials = [Material(merchant_id=MERCHANT, name=f"m{i}", unit="g") for i in range(n)]
        session.add_all([location, *materials])
    refs = []
    for material in materials:
        ref = StockRef(location_id=location.id, item_type=ItemType.MATERIAL, item_id=material.id)
        made = await adjust_stock(sessions, ACTOR, ref=ref, delta=start, reason="opening")
        refs.append(StockRef(stock_id=made.stock_id))
    return refs


async def _on_hand(sessions: async_sessionmaker[AsyncSession], stock_id: uuid.UUID) -> Decimal:
    async with sessions() as session:
        value: Decimal = (
            await session.execute(select(t.stock.c.on_hand).where(t.stock.c.id == stock_id))
        ).scalar_one()
    return value


async def test_fifty_concurrent_adjustments_and_wastes_lose_no_update(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    [ref] = await _stocks(sessions, 1, Decimal(1000))
    deltas = [Decimal(i % 9) - Decimal("3.25") for i in range(50)]

    await asyncio.gather(
        *(
            record_waste(sessions, ACTOR, ref=ref, quantity=-delta, reason="spilt")
            if delta < 0
            else adjust_stock(sessions, ACTOR, ref=ref, delta=delta, reason=f"r{i}")
            for i, delta in enumerate(deltas)
        )
    )

    assert ref.stock_id is not None
    async with sessions() as session:
        stock = (await session.execute(select(t.stock))).one()
        check = await check_ledger(session, merchant_id=MERCHANT)
    assert stock.on_hand == Decimal(1000) + sum(deltas)
    assert stock.version == 51
    assert check.discrepancies == []


async def test_concurrent_compare_and_set_applies_each_fresh_change_once_and_refuses_stale_ones(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    refs = await _stocks(sessions, 10, Decimal(100))

    async def read_then_adjust(i: int) -> StockChangeResult | DomainError:
        ref = refs[i % 10]
        assert ref.stock_id is not None
        seen = await _on_hand(sessions, ref.stock_id)
        await asyncio.sleep(0)  # let the others read too: most of these go stale
        try:
            return await adjust_stock(
                sessions,
                ACTOR,
                ref=ref,
                delta=Decimal(i + 1),
                reason=f"request {i}",
                change_from_quantity=seen,
            )
        except DomainError as error:
            return error

    outcomes = await asyncio.gather(*(read_then_adjust(i) for i in range(200)))

    applied = {i: o for i, o in enumerate(outcomes) if isinstance(o, StockChangeResult)}
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(applied) + len(refused) == 200
    assert {r.stock_id for r in applied.values()} == {r.stock_id for r in refs}  # 1+ per stock
    assert refused, "no request went stale: the race did not happen"
    assert {(p.code, p.field) for e in refused for p in e.problems} == {
        (UserErrorCode.CHANGE_FROM_QUANTITY_STALE, ("input", "changeFromQuantity"))
    }
    async with sessions() as session:
        ledger = (
            await session.execute(
                select(t.stock_movement.c.id, t.stock_movement.c.reason).where(
                    t.stock_movement.c.type == MovementType.ADJUSTMENT,
                    t.stock_movement.c.reason != "opening",
                )
            )
        ).all()
        check = await check_ledger(session, merchant_id=MERCHANT)
    assert sorted(r.id for r in ledger) == sorted(r.movement_id for r in applied.values())  # type: ignore[type-var]
    assert Counter(r.reason for r in ledger) == Counter(f"request {i}" for i in applied)
    for ref in refs:
        assert ref.stock_id is not None
        expected = Decimal(100) + sum(
            Decimal(i + 1) for i, r in applied.items() if r.stock_id == ref.stock_id
        )
        assert await _on_hand(sessions, ref.stock_id) == expected
    assert check.stocks_checked == 10
    assert check.discrepancies == []
