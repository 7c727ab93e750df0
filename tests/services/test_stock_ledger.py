"""The ledger core every flow goes through: locks, duplicates, concurrency, invariant."""

import asyncio
import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.models import Location, Material
from app.db.queries.ledger import check_ledger
from app.domain.enums import MovementType, ReferenceType
from app.services.context import Actor
from app.services.stock_ledger import Move, StockKey, apply_moves, lock_stocks

MERCHANT = uuid.uuid4()
ACTOR = Actor(MERCHANT, "test")


async def _materials(sessions: async_sessionmaker[AsyncSession], n: int) -> list[StockKey]:
    async with sessions.begin() as session:
        location = Location(merchant_id=MERCHANT, name="Main", is_default=True)
        materials = [Material(merchant_id=MERCHANT, name=f"m{i}", unit="g") for i in range(n)]
        session.add_all([location, *materials])
    return [StockKey.material(location.id, m.id) for m in materials]


async def _move(sessions: async_sessionmaker[AsyncSession], moves: list[Move]) -> tuple[int, int]:
    async with sessions.begin() as session:
        stocks = await lock_stocks(session, MERCHANT, [m.key for m in moves])
        result = await apply_moves(session, ACTOR, stocks, moves)
    return len(result.applied), len(result.duplicates)


def _adjust(key: StockKey, delta: str, ref: str) -> Move:
    return Move(key, MovementType.ADJUSTMENT, ReferenceType.MANUAL, ref, Decimal(delta))


async def test_a_move_changes_stock_appends_ledger_and_stages_events(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    [key] = await _materials(sessions, 1)

    applied, _ = await _move(sessions, [_adjust(key, "12.5", "r1")])

    async with sessions() as session:
        stock = (await session.execute(select(t.stock))).one()
        topics = sorted((await session.execute(select(t.outbox_event.c.topic))).scalars())
        movement = (await session.execute(select(t.stock_movement))).one()
    assert applied == 1
    assert (stock.on_hand, stock.reserved, stock.available, stock.version) == (
        Decimal("12.5"),
        0,
        Decimal("12.5"),
        1,
    )
    assert movement.on_hand_after == Decimal("12.5")
    assert topics == ["inventory.stock-changed", "material.stock-changed"]


async def test_the_same_move_twice_changes_nothing_the_second_time(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    [key] = await _materials(sessions, 1)
    await _move(sessions, [_adjust(key, "5", "same")])

    applied, duplicates = await _move(sessions, [_adjust(key, "5", "same")])

    async with sessions() as session:
        on_hand = (await session.execute(select(t.stock.c.on_hand))).scalar_one()
    assert (applied, duplicates) == (0, 1)
    assert on_hand == Decimal("5")


async def test_fifty_concurrent_moves_lose_no_update(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    [key] = await _materials(sessions, 1)
    deltas = [Decimal(i % 7) - Decimal("2.5") for i in range(50)]

    await asyncio.gather(
        *(_move(sessions, [_adjust(key, str(d), f"r{i}")]) for i, d in enumerate(deltas))
    )

    async with sessions() as session:
        stock = (await session.execute(select(t.stock))).one()
        check = await check_ledger(session, merchant_id=MERCHANT)
    assert stock.on_hand == sum(deltas)
    assert stock.version == 50
    assert check.stocks_checked == 1
    assert check.discrepancies == []


async def test_opposite_lock_orders_do_not_deadlock(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a, b = await _materials(sessions, 2)

    await asyncio.gather(
        *(
            _move(sessions, [_adjust(a, "1", f"x{i}"), _adjust(b, "1", f"x{i}")])
            if i % 2
            else _move(sessions, [_adjust(b, "1", f"x{i}"), _adjust(a, "1", f"x{i}")])
            for i in range(30)
        )
    )

    async with sessions() as session:
        quantities = (await session.execute(select(t.stock.c.on_hand))).scalars().all()
    assert quantities == [Decimal(30), Decimal(30)]


async def test_ledger_check_finds_a_planted_discrepancy(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    [key] = await _materials(sessions, 1)
    await _move(sessions, [_adjust(key, "3", "r1")])
    async with sessions.begin() as session:
        await session.execute(t.stock.update().values(on_hand=Decimal("4")))

    async with sessions() as session:
        check = await check_ledger(session, merchant_id=MERCHANT)

    assert [(d.on_hand, d.ledger_on_hand) for d in check.discrepancies] == [
        (Decimal("4"), Decimal("3"))
    ]


async def test_a_batch_mixing_a_recorded_move_and_a_new_one_applies_only_the_new_one(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    [key] = await _materials(sessions, 1)
    await _move(sessions, [_adjust(key, "5", "first")])

    applied, duplicates = await _move(
        sessions, [_adjust(key, "5", "first"), _adjust(key, "2", "second")]
    )

    async with sessions() as session:
        stock = (await session.execute(select(t.stock))).one()
        afters = (
            await session.execute(
                select(t.stock_movement.c.reference_id, t.stock_movement.c.on_hand_after).order_by(
                    t.stock_movement.c.id
                )
            )
        ).all()
        outbox = (await session.execute(select(t.outbox_event.c.payload))).scalars().all()
        check = await check_ledger(session, merchant_id=MERCHANT)
    assert (applied, duplicates) == (1, 1)
    assert (stock.on_hand, stock.version) == (Decimal("7"), 2)
    assert [tuple(a) for a in afters] == [("first", Decimal("5")), ("second", Decimal("7"))]
    assert sorted((p["onHand"], p["version"]) for p in outbox) == [
        ("5", 1),
        ("5", 1),
        ("7", 2),
        ("7", 2),
    ]
    assert check.discrepancies == []


async def test_stocks_of_which_only_some_exist_are_all_created_and_locked(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a, b, c = await _materials(sessions, 3)
    await _move(sessions, [_adjust(b, "1", "r0")])

    applied, _ = await _move(
        sessions, [_adjust(a, "1", "r1"), _adjust(b, "1", "r1"), _adjust(c, "1", "r1")]
    )

    async with sessions() as session:
        stocks = (await session.execute(select(t.stock.c.material_id, t.stock.c.on_hand))).all()
    assert applied == 3
    assert dict(stocks) == {a.item_id: 1, b.item_id: 2, c.item_id: 1}
