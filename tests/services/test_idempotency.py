"""Idempotency keys: same key and input → the first result, once; different input → refused."""

import asyncio
import os
import subprocess
import sys
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.models import Location, Material
from app.db.queries.ledger import check_ledger
from app.domain.enums import ItemType
from app.domain.errors import DomainError, UserErrorCode
from app.services.context import Actor
from app.services.idempotency import request_hash
from app.services.locations import archive_location, create_location
from app.services.materials import create_material
from app.services.stock_adjustments import adjust_stock, count_stock, record_waste
from app.services.stock_refs import StockRef

MERCHANT = uuid.uuid4()
OTHER = uuid.uuid4()
ACTOR = Actor(MERCHANT, "user:ana")
KEY_FIELD = [(UserErrorCode.IDEMPOTENCY_KEY_MISMATCH, ("idempotencyKey",))]


async def _milk(
    sessions: async_sessionmaker[AsyncSession], merchant: uuid.UUID = MERCHANT
) -> StockRef:
    async with sessions.begin() as session:
        location = Location(merchant_id=merchant, name="Main", is_default=True)
        material = Material(merchant_id=merchant, name="Milk", unit="ml")
        session.add_all([location, material])
    return StockRef(location_id=location.id, item_type=ItemType.MATERIAL, item_id=material.id)


async def _count(sessions: async_sessionmaker[AsyncSession], table: Table) -> int:
    async with sessions() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


async def _on_hand(sessions: async_sessionmaker[AsyncSession]) -> list[Decimal]:
    async with sessions() as session:
        return list(
            (await session.execute(select(t.stock.c.on_hand).order_by(t.stock.c.id))).scalars()
        )


async def test_the_same_key_and_input_returns_the_first_result_without_a_second_effect(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    milk = await _milk(sessions)

    first = await adjust_stock(
        sessions, ACTOR, ref=milk, delta=Decimal("1.50"), reason="restock", idempotency_key="k1"
    )
    again = await adjust_stock(
        sessions, ACTOR, ref=milk, delta=Decimal("1.5"), reason=" restock", idempotency_key="k1"
    )

    async with sessions() as session:
        reference = (await session.execute(select(t.stock_movement.c.reference_id))).scalar_one()
    assert again == first
    assert first.movement_id is not None
    assert reference == "idem:k1"
    assert await _on_hand(sessions) == [Decimal("1.5")]


async def test_the_same_key_with_another_input_or_operation_is_a_mismatch(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    milk = await _milk(sessions)
    await adjust_stock(
        sessions, ACTOR, ref=milk, delta=Decimal(2), reason="restock", idempotency_key="k"
    )

    with pytest.raises(DomainError) as other_input:
        await adjust_stock(
            sessions, ACTOR, ref=milk, delta=Decimal(3), reason="restock", idempotency_key="k"
        )
    with pytest.raises(DomainError) as other_operation:
        await record_waste(
            sessions, ACTOR, ref=milk, quantity=Decimal(2), reason="restock", idempotency_key="k"
        )

    assert [(p.code, p.field) for p in other_input.value.problems] == KEY_FIELD
    assert [(p.code, p.field) for p in other_operation.value.problems] == KEY_FIELD
    assert await _on_hand(sessions) == [Decimal(2)]


async def test_concurrent_requests_with_one_key_have_one_effect_and_one_answer(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    milk = await _milk(sessions)

    results = await asyncio.gather(
        *(
            count_stock(
                sessions, ACTOR, ref=milk, counted_quantity=Decimal(7), idempotency_key="race"
            )
            for _ in range(20)
        )
    )

    assert len(set(results)) == 1
    assert await _count(sessions, t.stock_movement) == 1
    assert await _on_hand(sessions) == [Decimal(7)]


async def test_a_refused_write_leaves_its_key_free_for_the_retry(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    milk = await _milk(sessions)

    with pytest.raises(DomainError) as refused:
        await record_waste(
            sessions, ACTOR, ref=milk, quantity=Decimal(1), reason="spilt", idempotency_key="w"
        )
    await adjust_stock(sessions, ACTOR, ref=milk, delta=Decimal(5), reason="restock")
    retried = await record_waste(
        sessions, ACTOR, ref=milk, quantity=Decimal(1), reason="spilt", idempotency_key="w"
    )

    assert refused.value.codes == [UserErrorCode.INSUFFICIENT_STOCK]
    assert retried.movement_id is not None
    assert await _on_hand(sessions) == [Decimal(4)]


async def test_keys_belong_to_one_merchant(sessions: async_sessionmaker[AsyncSession]) -> None:
    ours, theirs = await _milk(sessions), await _milk(sessions, OTHER)

    mine = await adjust_stock(
        sessions, ACTOR, ref=ours, delta=Decimal(1), reason="r", idempotency_key="shared"
    )
    other = await adjust_stock(
        sessions, Actor(OTHER), ref=theirs, delta=Decimal(2), reason="r", idempotency_key="shared"
    )

    assert mine.stock_id != other.stock_id
    assert sorted(await _on_hand(sessions)) == [Decimal(1), Decimal(2)]


async def test_a_replay_returns_the_first_result_even_after_the_location_was_archived(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _milk(sessions)
    made = await create_location(sessions, ACTOR, name="Bar", idempotency_key="loc")
    async with sessions() as session:
        material_id = (await session.execute(select(t.material.c.id))).scalar_one()
    ref = StockRef(location_id=made.location_id, item_type=ItemType.MATERIAL, item_id=material_id)
    first = await adjust_stock(
        sessions, ACTOR, ref=ref, delta=Decimal(1), reason="r", idempotency_key="adj"
    )
    await archive_location(sessions, ACTOR, made.location_id)

    replayed = await adjust_stock(
        sessions, ACTOR, ref=ref, delta=Decimal(1), reason="r", idempotency_key="adj"
    )
    again = await create_location(sessions, ACTOR, name="Bar", idempotency_key="loc")

    assert replayed == first
    assert again == made
    assert await _count(sessions, t.location) == 2


async def test_creates_with_a_key_make_one_row(sessions: async_sessionmaker[AsyncSession]) -> None:
    results = await asyncio.gather(
        *(
            create_material(
                sessions,
                ACTOR,
                name="Oat milk",
                unit="ml",
                low_stock_threshold=Decimal("500.0"),
                idempotency_key="oat",
            )
            for _ in range(5)
        )
    )
    with pytest.raises(DomainError) as mismatch:
        await create_material(sessions, ACTOR, name="Oat milk", unit="l", idempotency_key="oat")

    assert len(set(results)) == 1
    assert await _count(sessions, t.material) == 1
    assert [(p.code, p.field) for p in mismatch.value.problems] == KEY_FIELD


@pytest.mark.parametrize("key", ["", "x" * 256, "a\x00b", "line\nbreak"])
async def test_an_empty_overlong_or_unprintable_key_is_invalid(
    sessions: async_sessionmaker[AsyncSession], key: str
) -> None:
    milk = await _milk(sessions)

    with pytest.raises(DomainError) as refused:
        await adjust_stock(
            sessions, ACTOR, ref=milk, delta=Decimal(1), reason="r", idempotency_key=key
        )

    assert [(p.code, p.field) for p in refused.value.problems] == [
        (UserErrorCode.INVALID, ("idempotencyKey",))
    ]
    assert await _count(sessions, t.stock_movement) == 0


def test_the_request_hash_is_the_same_in_every_process() -> None:
    """Another app instance must hash a retry alike, whatever its string hash seed."""
    program = (
        "import uuid; from decimal import Decimal;"
        "from app.services.idempotency import request_hash;"
        "print(request_hash('op', {'codes': frozenset({'a', 'b', 'c', 'd', 'e', 'f'}),"
        " 'quantity': Decimal('1.50'), 'id': uuid.UUID(int=1)}))"
    )
    hashes = {
        subprocess.run(
            [sys.executable, "-c", program],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in (1, 2)
    }

    assert hashes == {
        request_hash(
            "op",
            {
                "codes": ["a", "b", "c", "d", "e", "f"],
                "quantity": Decimal("1.5"),
                "id": uuid.UUID(int=1),
            },
        )
    }


async def test_the_ledger_adds_up_after_replays(sessions: async_sessionmaker[AsyncSession]) -> None:
    milk = await _milk(sessions)
    for _ in range(3):
        await adjust_stock(
            sessions, ACTOR, ref=milk, delta=Decimal(4), reason="r", idempotency_key="a"
        )
        await count_stock(
            sessions, ACTOR, ref=milk, counted_quantity=Decimal(3), idempotency_key="c"
        )
        await record_waste(
            sessions, ACTOR, ref=milk, quantity=Decimal(1), reason="w", idempotency_key="w"
        )

    async with sessions() as session:
        check = await check_ledger(session, merchant_id=MERCHANT)
    assert await _on_hand(sessions) == [Decimal(2)]
    assert await _count(sessions, t.stock_movement) == 3
    assert check.discrepancies == []


async def test_a_replay_after_its_key_was_purged_still_has_no_second_effect(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    milk = await _milk(sessions)
    first = await adjust_stock(
        sessions, ACTOR, ref=milk, delta=Decimal(4), reason="r", idempotency_key="old"
    )
    async with sessions.begin() as session:
        await session.execute(t.idempotency_key.delete())

    again = await adjust_stock(
        sessions, ACTOR, ref=milk, delta=Decimal(4), reason="r", idempotency_key="old"
    )

    assert again == first
    assert await _on_hand(sessions) == [Decimal(4)]
    assert await _count(sessions, t.stock_movement) == 1
