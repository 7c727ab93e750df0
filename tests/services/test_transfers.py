"""Transfers of materials between two locations of one merchant."""

import asyncio
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.db import tables as t
from app.domain.enums import ItemType, MovementType, ReferenceType
from app.domain.errors import DomainError, UserErrorCode
from app.domain.transfers import TransferLine
from app.kafka import topics
from app.services.context import Actor
from app.services.purchase_orders import PurchaseOrderLineInput, create_purchase_order
from app.services.purchase_receipts import receive_purchase_order
from app.services.stock_ledger import StockKey
from app.services.transfers import transfer_materials
from tests.services import purchasing_builders as given
from tests.services.purchasing_builders import Sessions


@dataclass
class Site:
    store: uuid.UUID
    kitchen: uuid.UUID
    milk: uuid.UUID
    beans: uuid.UUID


async def _site(sessions: Sessions, actor: Actor, milk: str = "10", beans: str = "5") -> Site:
    """A store holding milk and beans, and an empty kitchen."""
    site = Site(
        store=await given.location(sessions, actor, "Store"),
        kitchen=await given.location(sessions, actor, "Kitchen"),
        milk=await given.material(sessions, actor, "Milk", unit="ml"),
        beans=await given.material(sessions, actor, "Beans", unit="g"),
    )
    await given.put_stock(sessions, actor, StockKey.material(site.store, site.milk), milk)
    await given.put_stock(sessions, actor, StockKey.material(site.store, site.beans), beans)
    return site


def _lines(*pairs: tuple[uuid.UUID, str]) -> list[TransferLine]:
    return [TransferLine(material_id, Decimal(q)) for material_id, q in pairs]


async def _quantities(sessions: Sessions, site: Site, material_id: uuid.UUID) -> list[Decimal]:
    return [
        await given.on_hand(sessions, StockKey.material(location_id, material_id))
        for location_id in (site.store, site.kitchen)
    ]


async def test_a_transfer_moves_stock_with_paired_ledger_rows_and_an_event(
    sessions: Sessions,
) -> None:
    actor = given.new_actor()
    site = await _site(sessions, actor)

    result = await transfer_materials(
        sessions,
        actor,
        from_location_id=site.store,
        to_location_id=site.kitchen,
        lines=_lines((site.milk, "2.5"), (site.beans, "5"), (site.milk, "1")),
    )

    assert await _quantities(sessions, site, site.milk) == [Decimal("6.5"), Decimal("3.5")]
    assert await _quantities(sessions, site, site.beans) == [Decimal(0), Decimal(5)]
    async with sessions() as session:
        moves = (
            await session.execute(
                select(t.stock_movement).where(
                    t.stock_movement.c.reference_type == ReferenceType.TRANSFER
                )
            )
        ).all()
        lines = (
            await session.execute(select(t.transfer_line).order_by(t.transfer_line.c.position))
        ).all()
        transfer = (await session.execute(select(t.transfer))).one()
    assert {m.reference_id for m in moves} == {str(result.transfer_id)}
    assert sorted((m.type, m.location_id, m.delta_on_hand) for m in moves) == sorted(
        [
            (MovementType.TRANSFER_OUT, site.store, Decimal("-3.5")),
            (MovementType.TRANSFER_IN, site.kitchen, Decimal("3.5")),
            (MovementType.TRANSFER_OUT, site.store, Decimal("-5")),
            (MovementType.TRANSFER_IN, site.kitchen, Decimal("5")),
        ]
    )
    assert (transfer.id, transfer.from_location_id, transfer.to_location_id) == (
        result.transfer_id,
        site.store,
        site.kitchen,
    )
    assert [(line.material_id, line.quantity) for line in lines] == [
        (site.milk, Decimal("2.5")),
        (site.beans, Decimal("5")),
        (site.milk, Decimal("1")),
    ]
    await given.assert_ledger_holds(sessions, actor)


async def test_a_transfer_stages_valid_events(sessions: Sessions) -> None:
    actor = given.new_actor()
    site = await _site(sessions, actor)

    result = await transfer_materials(
        sessions,
        actor,
        from_location_id=site.store,
        to_location_id=site.kitchen,
        lines=_lines((site.milk, "4")),
    )

    [row] = await given.outbox(sessions, topics.MATERIAL_TRANSFERRED)
    given.assert_valid("material.transferred", row.payload)
    assert (row.key, row.event_type) == (str(result.transfer_id), "MATERIAL_TRANSFERRED")
    assert row.payload["lines"] == [{"materialId": str(site.milk), "quantity": "4", "unit": "ml"}]
    assert row.payload["transferredBy"] == "user:buyer"
    # Two seeding adjustments, then one OUT and one IN.
    inventory = await given.outbox(sessions, topics.INVENTORY_STOCK_CHANGED)
    material = await given.outbox(sessions, topics.MATERIAL_STOCK_CHANGED)
    assert len(inventory) == len(material) == 4
    for event in inventory:
        given.assert_valid("inventory.stock-changed", event.payload)
    for event in material:
        given.assert_valid("material.stock-changed", event.payload)
    assert sorted(e.payload["movement"]["type"] for e in material[2:]) == [
        "TRANSFER_IN",
        "TRANSFER_OUT",
    ]


async def test_lines_of_one_material_are_summed_and_all_shortages_reported(
    sessions: Sessions,
) -> None:
    actor = given.new_actor()
    site = await _site(sessions, actor, milk="10", beans="5")

    with pytest.raises(DomainError) as refused:
        await transfer_materials(
            sessions,
            actor,
            from_location_id=site.store,
            to_location_id=site.kitchen,
            lines=_lines((site.milk, "6"), (site.beans, "5"), (site.milk, "6"), (site.beans, "1")),
        )

    assert [(p.code, p.field) for p in refused.value.problems] == [
        (UserErrorCode.INSUFFICIENT_STOCK, ("input", "lines", i, "quantity")) for i in range(4)
    ]
    assert await _quantities(sessions, site, site.milk) == [Decimal(10), Decimal(0)]
    assert await given.outbox(sessions, topics.MATERIAL_TRANSFERRED) == []
    async with sessions() as session:
        assert (await session.execute(select(t.transfer.c.id))).all() == []


async def test_reserved_material_cannot_leave(sessions: Sessions) -> None:
    actor = given.new_actor()
    site = await _site(sessions, actor, milk="10")
    async with sessions.begin() as session:
        await session.execute(
            t.stock.update().where(t.stock.c.material_id == site.milk).values(reserved=Decimal("4"))
        )

    with pytest.raises(DomainError) as refused:
        await transfer_materials(
            sessions,
            actor,
            from_location_id=site.store,
            to_location_id=site.kitchen,
            lines=_lines((site.milk, "7")),
        )

    assert refused.value.codes == [UserErrorCode.INSUFFICIENT_STOCK]


async def test_allow_negative_lets_the_source_go_below_zero(sessions: Sessions) -> None:
    actor = given.new_actor()
    site = await _site(sessions, actor, milk="10")

    await transfer_materials(
        sessions,
        actor,
        from_location_id=site.store,
        to_location_id=site.kitchen,
        lines=_lines((site.milk, "6"), (site.milk, "6")),
        allow_negative=True,
    )

    assert await _quantities(sessions, site, site.milk) == [Decimal(-2), Decimal(12)]
    async with sessions() as session:
        flagged = (
            await session.execute(
                select(t.stock_movement.c.went_negative).where(
                    t.stock_movement.c.type == MovementType.TRANSFER_OUT
                )
            )
        ).scalar_one()
    assert flagged is True
    await given.assert_ledger_holds(sessions, actor)


async def test_same_location_and_non_positive_quantities_are_invalid(sessions: Sessions) -> None:
    actor = given.new_actor()
    site = await _site(sessions, actor)

    with pytest.raises(DomainError) as refused:
        await transfer_materials(
            sessions,
            actor,
            from_location_id=site.store,
            to_location_id=site.store,
            lines=_lines((site.milk, "0"), (site.beans, "-1")),
        )

    assert [(p.code, p.field) for p in refused.value.problems] == [
        (UserErrorCode.INVALID, ("input", "toLocationId")),
        (UserErrorCode.INVALID, ("input", "lines", 0, "quantity")),
        (UserErrorCode.INVALID, ("input", "lines", 1, "quantity")),
    ]


async def test_other_merchants_and_archived_ids_are_refused(sessions: Sessions) -> None:
    actor, other = given.new_actor(), given.new_actor()
    site = await _site(sessions, actor)
    foreign_location = await given.location(sessions, other)
    foreign_material = await given.material(sessions, other)
    archived_material = await given.material(sessions, actor, archived=True)
    archived_location = await given.location(sessions, actor, archived=True)

    with pytest.raises(DomainError) as foreign:
        await transfer_materials(
            sessions,
            actor,
            from_location_id=foreign_location,
            to_location_id=site.kitchen,
            lines=_lines((foreign_material, "1"), (site.milk, "1")),
        )
    with pytest.raises(DomainError) as archived:
        await transfer_materials(
            sessions,
            actor,
            from_location_id=site.store,
            to_location_id=archived_location,
            lines=_lines((archived_material, "1")),
        )
    with pytest.raises(DomainError) as empty:
        await transfer_materials(
            sessions, actor, from_location_id=site.store, to_location_id=site.kitchen, lines=[]
        )

    assert [(p.code, p.field) for p in foreign.value.problems] == [
        (UserErrorCode.NOT_FOUND, ("input", "fromLocationId")),
        (UserErrorCode.NOT_FOUND, ("input", "lines", 0, "materialId")),
    ]
    assert [(p.code, p.field) for p in archived.value.problems] == [
        (UserErrorCode.ARCHIVED, ("input", "toLocationId")),
        (UserErrorCode.ARCHIVED, ("input", "lines", 0, "materialId")),
    ]
    assert [(p.code, p.field) for p in empty.value.problems] == [
        (UserErrorCode.REQUIRED, ("input", "lines"))
    ]


async def test_the_same_idempotency_key_moves_stock_once(sessions: Sessions) -> None:
    actor = given.new_actor()
    site = await _site(sessions, actor)

    async def move(quantity: str) -> uuid.UUID:
        result = await transfer_materials(
            sessions,
            actor,
            from_location_id=site.store,
            to_location_id=site.kitchen,
            lines=_lines((site.milk, quantity)),
            idempotency_key="move-1",
        )
        return result.transfer_id

    first = await move("3")
    again = await move("3.000")
    with pytest.raises(DomainError) as mismatch:
        await move("4")

    assert again == first
    assert mismatch.value.codes == [UserErrorCode.IDEMPOTENCY_KEY_MISMATCH]
    assert await _quantities(sessions, site, site.milk) == [Decimal(7), Decimal(3)]
    assert len(await given.outbox(sessions, topics.MATERIAL_TRANSFERRED)) == 1


async def test_transfers_and_receipts_of_one_material_run_concurrently(
    sessions: Sessions,
) -> None:
    actor = given.new_actor()
    site = await _site(sessions, actor, milk="100")
    vendor_id = await given.vendor(sessions, actor)
    orders = [
        await create_purchase_order(
            sessions,
            actor,
            location_id=location_id,
            vendor_id=vendor_id,
            currency="EUR",
            lines=[PurchaseOrderLineInput(ItemType.MATERIAL, site.milk, Decimal(5), Decimal(1))],
        )
        for location_id in (site.store, site.kitchen, site.store, site.kitchen)
    ]

    await asyncio.gather(
        *(receive_purchase_order(sessions, actor, o.purchase_order_id) for o in orders),
        *(
            transfer_materials(
                sessions,
                actor,
                from_location_id=site.store,
                to_location_id=site.kitchen,
                lines=_lines((site.milk, "1")),
            )
            for _ in range(12)
        ),
    )

    assert await _quantities(sessions, site, site.milk) == [Decimal(98), Decimal(22)]
    await given.assert_ledger_holds(sessions, actor)
