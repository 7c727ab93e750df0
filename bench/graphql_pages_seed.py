"""What the pages of bench/graphql_pages.py need beyond the dashboard's seed
(bench/graphql_bench.py `seed`): a recipe for every product, and open purchase orders."""

from __future__ import annotations

import random
import uuid
from decimal import Decimal
from typing import Any

from bench.graphql_bench import MERCHANT


async def seed_pages(url: str) -> uuid.UUID:
    """A recipe of three materials for every product (every other product tracked), and
    open purchase orders (so the dashboard's incoming is not all zeros: 40 ORDERED orders
    of 5 lines over the first stocks, 10 DRAFT ones that are not incoming); the location
    whose availableToSell the items page asks for."""
    from sqlalchemy import delete, insert, select, update

    from app.db import tables as t
    from app.db.engine import create_engine
    from app.db.models.base import uuid7
    from app.domain.enums import RecipeOwner

    rng = random.Random(19)
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for table in (
                t.purchase_order_line,
                t.purchase_order,
                t.vendor,
                t.recipe_line,
                t.recipe,
            ):
                await connection.execute(delete(table).where(table.c.merchant_id == MERCHANT))
            items = (
                await connection.execute(
                    select(t.inventory_item.c.id, t.inventory_item.c.product_variant_id)
                    .where(t.inventory_item.c.merchant_id == MERCHANT)
                    .order_by(t.inventory_item.c.id)
                )
            ).all()
            materials = list(
                (
                    await connection.execute(
                        select(t.material.c.id).where(t.material.c.merchant_id == MERCHANT)
                    )
                ).scalars()
            )
            recipes, lines = [], []
            for item in items:
                recipe_id = uuid7()
                recipes.append(
                    {
                        "id": recipe_id,
                        "merchant_id": MERCHANT,
                        "owner_type": RecipeOwner.PRODUCT_VARIANT,
                        "owner_id": item.product_variant_id,
                    }
                )
                for position, material in enumerate(rng.sample(materials, 3)):
                    lines.append(
                        {
                            "id": uuid7(),
                            "merchant_id": MERCHANT,
                            "recipe_id": recipe_id,
                            "material_id": material,
                            "quantity": Decimal(rng.randint(1, 400)) / 100,
                            "position": position,
                        }
                    )
            for start in range(0, len(recipes), 2000):
                await connection.execute(insert(t.recipe), recipes[start : start + 2000])
            for start in range(0, len(lines), 2000):
                await connection.execute(insert(t.recipe_line), lines[start : start + 2000])
            tracked = [item.id for at, item in enumerate(items) if at % 2 == 0]
            await connection.execute(
                update(t.inventory_item)
                .where(t.inventory_item.c.id.in_(tracked))
                .values(track_inventory=True)
            )
            await _purchase_orders(connection, rng)
            location: uuid.UUID = (
                await connection.execute(
                    select(t.location.c.id)
                    .where(t.location.c.merchant_id == MERCHANT)
                    .order_by(t.location.c.name)
                    .limit(1)
                )
            ).scalar_one()
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.exec_driver_sql("ANALYZE")
        return location
    finally:
        await engine.dispose()


async def _purchase_orders(connection: Any, rng: random.Random) -> None:
    from sqlalchemy import insert, select

    from app.db import tables as t
    from app.db.models.base import uuid7

    stocks = (
        await connection.execute(
            select(t.stock)
            .where(t.stock.c.merchant_id == MERCHANT)
            .order_by(t.stock.c.id)
            .limit(400)
        )
    ).all()
    vendor = uuid7()
    await connection.execute(
        insert(t.vendor), [{"id": vendor, "merchant_id": MERCHANT, "name": "Bench vendor"}]
    )
    orders, lines = [], []
    for number in range(50):
        order = uuid7()
        chosen = rng.sample(stocks, 5)
        orders.append(
            {
                "id": order,
                "merchant_id": MERCHANT,
                "number": f"PO-{number}",
                "status": "ORDERED" if number < 40 else "DRAFT",
                "location_id": chosen[0].location_id,
                "vendor_id": vendor,
                "currency": "EUR",
            }
        )
        for position, stock in enumerate(chosen):
            lines.append(
                {
                    "id": uuid7(),
                    "merchant_id": MERCHANT,
                    "purchase_order_id": order,
                    "position": position,
                    "item_type": stock.item_type,
                    "inventory_item_id": stock.inventory_item_id,
                    "material_id": stock.material_id,
                    "quantity_ordered": Decimal(rng.randint(1, 2000)) / 10,
                    "unit_cost": Decimal(2),
                }
            )
    await connection.execute(insert(t.purchase_order), orders)
    await connection.execute(insert(t.purchase_order_line), lines)
