"""ensure_inventory_item / archive_inventory_item: /v1 and CDC converge on one row."""

import asyncio
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.db import tables as t
from app.domain.enums import MovementType
from app.domain.errors import DomainError, UserErrorCode
from app.services.context import Actor
from app.services.inventory_items import (
    InitialStock,
    ProductVariantUpsert,
    archive_inventory_item,
    ensure_inventory_item,
)
from tests.services.sales_builders import (
    Sessions,
    a_shop,
    assert_ledger_holds,
    ledger_checked,  # noqa: F401 (the fixture below)
    movements,
    quantities,
)

pytestmark = pytest.mark.usefixtures("ledger_checked")


async def _item(sessions: Sessions) -> tuple[object, ...]:
    item = t.inventory_item
    async with sessions() as session:
        row = (
            await session.execute(
                select(
                    item.c.name,
                    item.c.sku,
                    item.c.track_inventory,
                    item.c.archived,
                    item.c.source_lsn,
                )
            )
        ).one()
    return tuple(row)


async def test_create_with_initial_stock_then_update_leaves_unsent_fields_alone(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    variant = uuid.uuid4()
    create = ProductVariantUpsert(
        shop.merchant_id, variant, name="Croissant", sku="CR-1", track_inventory=True
    )
    created = await ensure_inventory_item(
        sessions,
        create,
        actor=shop.actor,
        initial_stocks=[
            InitialStock(shop.location_id, Decimal("10")),
            InitialStock(shop.location_id, Decimal("2.5")),
        ],
    )

    updated = await ensure_inventory_item(
        sessions,
        ProductVariantUpsert(shop.merchant_id, variant, name="Butter croissant"),
        actor=shop.actor,
        initial_stocks=[InitialStock(shop.location_id, Decimal("99"))],
    )

    assert (created.created, updated.created, updated.item_id) == (True, False, created.item_id)
    assert await _item(sessions) == ("Butter croissant", "CR-1", True, False, None)
    assert await movements(sessions, shop.product(created.item_id)) == [
        (MovementType.ADJUSTMENT, Decimal("12.5"), 0)
    ]
    assert await quantities(sessions, shop.product(created.item_id)) == (Decimal("12.5"), 0)
    await assert_ledger_holds(sessions)


async def test_initial_stock_at_another_merchants_location_writes_nothing(
    sessions: Sessions,
) -> None:
    shop, other = await a_shop(sessions), await a_shop(sessions)
    upsert = ProductVariantUpsert(shop.merchant_id, uuid.uuid4(), name="Croissant")

    with pytest.raises(DomainError) as raised:
        await ensure_inventory_item(
            sessions,
            upsert,
            actor=shop.actor,
            initial_stocks=[
                InitialStock(shop.location_id, Decimal("-1")),
                InitialStock(other.location_id, Decimal("1")),
            ],
        )

    assert [(p.code, p.field) for p in raised.value.problems] == [
        (UserErrorCode.INVALID, ("initialStocks", 0, "quantity")),
        (UserErrorCode.NOT_FOUND, ("initialStocks", 1, "locationId")),
    ]
    async with sessions() as session:
        items = (
            await session.execute(select(func.count()).select_from(t.inventory_item))
        ).scalar_one()
    assert items == 0


async def test_an_older_cdc_update_arriving_late_is_stale(sessions: Sessions) -> None:
    shop = await a_shop(sessions)
    variant = uuid.uuid4()

    def change(name: str) -> ProductVariantUpsert:
        return ProductVariantUpsert(shop.merchant_id, variant, name=name, track_inventory=False)

    results = [
        await ensure_inventory_item(sessions, change(name), actor=shop.actor, source_lsn=lsn)
        for name, lsn in (("Latte", 100), ("Latte (L)", 300), ("Latte (M)", 200), ("Latte", 300))
    ]

    assert [(r.created, r.stale) for r in results] == [
        (True, False),
        (False, False),
        (False, True),
        (False, True),
    ]
    assert await _item(sessions) == ("Latte (L)", None, False, False, 300)


async def test_a_delete_arriving_before_create_and_update_keeps_the_item_archived(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    variant = uuid.uuid4()
    before = ProductVariantUpsert(shop.merchant_id, variant, name="Latte (L)", sku="LAT")

    deleted = await archive_inventory_item(
        sessions, shop.merchant_id, variant, source_lsn=300, before=before
    )
    late = [
        await ensure_inventory_item(
            sessions,
            ProductVariantUpsert(shop.merchant_id, variant, name=name, archived=False),
            actor=shop.actor,
            source_lsn=lsn,
        )
        for name, lsn in (("Latte", 100), ("Latte (M)", 200))
    ]

    assert (deleted.created, [r.stale for r in late]) == (True, [True, True])
    assert await _item(sessions) == ("Latte (L)", "LAT", False, True, 300)


async def test_update_then_delete_in_order_archives_the_item(sessions: Sessions) -> None:
    shop = await a_shop(sessions)
    variant = uuid.uuid4()
    upsert = ProductVariantUpsert(shop.merchant_id, variant, name="Latte", track_inventory=True)
    await ensure_inventory_item(sessions, upsert, actor=shop.actor, source_lsn=100)

    deleted = await archive_inventory_item(
        sessions, shop.merchant_id, variant, source_lsn=200, before=None
    )

    assert (deleted.created, deleted.stale) == (False, False)
    assert await _item(sessions) == ("Latte", None, True, True, 200)


async def test_a_v1_update_after_cdc_keeps_the_stored_source_position(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    variant = uuid.uuid4()
    await ensure_inventory_item(
        sessions,
        ProductVariantUpsert(shop.merchant_id, variant, name="A"),
        actor=shop.actor,
        source_lsn=100,
    )

    result = await ensure_inventory_item(
        sessions, ProductVariantUpsert(shop.merchant_id, variant, sku="S"), actor=shop.actor
    )

    assert not result.stale
    assert await _item(sessions) == ("A", "S", False, False, 100)


async def test_idempotency_key_returns_the_first_result_or_refuses_other_input(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    upsert = ProductVariantUpsert(shop.merchant_id, uuid.uuid4(), name="Tea")
    stocks = [InitialStock(shop.location_id, Decimal("1.50"))]
    first = await ensure_inventory_item(
        sessions, upsert, actor=shop.actor, initial_stocks=stocks, idempotency_key="k1"
    )

    again = await ensure_inventory_item(
        sessions,
        upsert,
        actor=shop.actor,
        initial_stocks=[InitialStock(shop.location_id, Decimal("1.5"))],
        idempotency_key="k1",
    )
    with pytest.raises(DomainError) as raised:
        await ensure_inventory_item(
            sessions, upsert, actor=shop.actor, initial_stocks=[], idempotency_key="k1"
        )

    assert again == first
    assert first.created
    assert raised.value.codes == [UserErrorCode.IDEMPOTENCY_KEY_MISMATCH]


async def test_another_merchants_actor_is_not_found(sessions: Sessions) -> None:
    shop = await a_shop(sessions)
    upsert = ProductVariantUpsert(shop.merchant_id, uuid.uuid4(), name="Tea")

    with pytest.raises(DomainError) as raised:
        await ensure_inventory_item(sessions, upsert, actor=Actor(uuid.uuid4(), "other"))

    assert raised.value.codes == [UserErrorCode.NOT_FOUND]


async def test_concurrent_creators_of_one_variant_converge_on_one_row(sessions: Sessions) -> None:
    shop = await a_shop(sessions)
    upsert = ProductVariantUpsert(shop.merchant_id, uuid.uuid4(), name="Tea")

    results = await asyncio.gather(
        *(
            ensure_inventory_item(
                sessions,
                upsert,
                actor=shop.actor,
                initial_stocks=[InitialStock(shop.location_id, Decimal("5"))],
            )
            for _ in range(12)
        )
    )

    assert len({r.item_id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert await quantities(sessions, shop.product(results[0].item_id)) == (Decimal(5), 0)
    await assert_ledger_holds(sessions)
