"""The demo merchant `inventory dev` seeds: complete, and unchanged by a second start."""

from decimal import Decimal

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.queries.count_sessions import LineFilter
from app.db.queries.count_sessions import summary as count_summary
from app.dev_catalog import DEMO_MERCHANT_ID, KIOSK, MAIN, MATERIALS, PRODUCTS
from app.dev_seed import SEED_ACTOR, seed_demo
from app.domain.enums import ItemType, PurchaseOrderStatus
from app.services.stock_adjustments import adjust_stock
from app.services.stock_refs import StockRef


async def _count(sessions: async_sessionmaker[AsyncSession], table: Table) -> int:
    async with sessions() as session:
        statement = select(func.count()).select_from(table)
        return int(
            (
                await session.execute(statement.where(table.c.merchant_id == DEMO_MERCHANT_ID))
            ).scalar_one()
        )


async def _on_hand(
    sessions: async_sessionmaker[AsyncSession], location_id: object, material_id: object
) -> Decimal:
    async with sessions() as session:
        value: Decimal = (
            await session.execute(
                select(t.stock.c.on_hand).where(
                    t.stock.c.location_id == location_id, t.stock.c.material_id == material_id
                )
            )
        ).scalar_one()
    return value


async def test_seeding_creates_the_demo_cafe(sessions: async_sessionmaker[AsyncSession]) -> None:
    demo = await seed_demo(sessions)

    assert set(demo.locations) == {MAIN, KIOSK}
    assert await _count(sessions, t.location) == 2
    assert await _count(sessions, t.material) == len(MATERIALS)
    assert await _count(sessions, t.inventory_item) == len(PRODUCTS)
    assert await _on_hand(sessions, demo.locations[MAIN], demo.materials["beans"]) == Decimal(
        "6000"
    )
    async with sessions() as session:
        status = (
            await session.execute(
                select(t.purchase_order.c.status).where(
                    t.purchase_order.c.id == demo.purchase_order_id
                )
            )
        ).scalar_one()
        recipes = (await session.execute(select(func.count()).select_from(t.recipe))).scalar_one()
    assert status == PurchaseOrderStatus.ORDERED
    with_recipe = sum(1 for p in PRODUCTS if p.recipe)
    prep_items = sum(1 for m in MATERIALS if m.prep is not None)
    assert prep_items == 1
    assert recipes == with_recipe + 3 + prep_items  # the three modifier options, cold brew


async def test_a_second_start_changes_nothing(sessions: async_sessionmaker[AsyncSession]) -> None:
    first = await seed_demo(sessions)
    movements = await _count(sessions, t.stock_movement)

    second = await seed_demo(sessions)

    assert second == first
    assert await _count(sessions, t.stock_movement) == movements
    assert await _count(sessions, t.location) == 2
    assert await _count(sessions, t.vendor) == 2
    assert await _count(sessions, t.purchase_order) == 3
    assert await _on_hand(sessions, first.locations[KIOSK], first.materials["milk"]) == Decimal(
        "12000"
    )


async def test_seeding_keeps_what_the_developer_changed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    demo = await seed_demo(sessions)
    async with sessions.begin() as session:
        await session.execute(
            t.idempotency_key.delete().where(t.idempotency_key.c.merchant_id == DEMO_MERCHANT_ID)
        )

    await adjust_stock(
        sessions,
        SEED_ACTOR,
        ref=StockRef(
            location_id=demo.locations[MAIN],
            item_type=ItemType.MATERIAL,
            item_id=demo.materials["beans"],
        ),
        delta=Decimal("-5990"),
        reason="spilled",
    )

    again = await seed_demo(sessions)

    assert again == demo
    assert await _on_hand(sessions, demo.locations[MAIN], demo.materials["beans"]) == Decimal("10")


async def test_the_demo_cafe_has_an_open_stock_take_with_a_variance_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    demo = await seed_demo(sessions)
    await seed_demo(sessions)

    async with sessions() as session:
        [count] = (
            await session.execute(
                select(t.count_session).where(t.count_session.c.merchant_id == DEMO_MERCHANT_ID)
            )
        ).all()
        lines = {
            row.stock_id: row.counted
            for row in await session.execute(
                select(t.count_line).where(t.count_line.c.session_id == count.id)
            )
        }
        stocks = {
            row.material_id: row.id
            for row in await session.execute(
                select(t.stock.c.id, t.stock.c.material_id).where(
                    t.stock.c.location_id == demo.locations[MAIN]
                )
            )
        }
    assert count.status == "OPEN"
    # 29 one-litre bottles of milk where 30000 ml were seeded; 5.8 kg of beans where 6000 g
    # were; 7 l + 300 ml of oat milk where 8000 ml were.
    assert lines == {
        stocks[demo.materials["milk"]]: Decimal(29000),
        stocks[demo.materials["beans"]]: Decimal(5800),
        stocks[demo.materials["oat"]]: Decimal(7300),
    }
    # The variance has a value from the first start: milk's average is the dairy's received
    # case, 14.40 for 12 x 1000 ml = 0.0012 a ml; -1000 ml x 0.0012 = -1.2 (beans and oat
    # milk were never bought: no cost).
    async with sessions() as session:
        summary = await count_summary(
            session, LineFilter(DEMO_MERCHANT_ID, count.id, count.counted_at)
        )
    assert summary.variance_value == Decimal("-1.2")


async def test_the_demo_has_pars_a_pack_vendor_and_a_draft_so_suggestions_show_at_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    from datetime import UTC, datetime

    from app.domain.reorder import ReorderMethod
    from app.services.reorder_suggestions import reorder_suggestions

    demo = await seed_demo(sessions)

    async with sessions() as session:
        found = await reorder_suggestions(
            session,
            DEMO_MERCHANT_ID,
            demo.locations[MAIN],
            method=ReorderMethod.PAR,
            lookback_days=28,
            cover_days=7,
            vendor_id=None,
            now=datetime.now(UTC),
        )
        drafts = (
            await session.execute(
                select(func.count())
                .select_from(t.purchase_order)
                .where(t.purchase_order.c.status == PurchaseOrderStatus.DRAFT)
            )
        ).scalar_one()
    # Milk: 30 l + the dairy's received case of 12 l + 2 cases (24 l) incoming = 66 l, at
    # its point of 5.5 cases: par 6 cases (72 l) - 66 = 6 l, rounded up to 1 case = 12 l.
    # Oat milk: 8 l + 6 l incoming = 14 l, at its point: 16 - 14 = 2 l. Cups: 400 + 500
    # incoming = 900, below the point 1000: 1200 - 900 = 300. Neither was ever received
    # at MAIN, so no vendor: listed last, by name.
    got = [
        (s.name, s.vendor and s.vendor.name, s.suggested_quantity, s.pack_unit, s.suggested_packs)
        for s in found
    ]
    assert got == [
        ("Whole milk", "Alpine Dairy", Decimal("12000"), "case", Decimal("1")),
        ("Oat milk", None, Decimal("2000"), None, None),
        ("Paper cup 12oz", None, Decimal("300"), None, None),
    ]
    assert drafts == 1
