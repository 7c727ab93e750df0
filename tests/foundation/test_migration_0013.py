"""Migration 0013 on a ledger written before it: later returns recorded as
`<saleOrderId>#<n>` move under the sale order's id with occurrence n, and productions made
before it keep the prep recipe as it was at the upgrade, scaled and rounded as a
production's consumption is (half to even, 6 places)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from decimal import ROUND_HALF_EVEN, Decimal

import asyncpg
import pytest
from alembic import command

from app.db.migrate import alembic_config, upgrade_to_head
from tests.fixtures.database import _plain, with_database

BEFORE = "0011_purchasing"


@pytest.fixture
async def database(pg_server_url: str) -> AsyncIterator[str]:
    name = f"inventory_0013_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_plain(pg_server_url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    yield with_database(pg_server_url, name)
    admin = await asyncpg.connect(_plain(pg_server_url))
    await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    await admin.close()


def _half_even(per_batch: str, produced: str, yield_quantity: str) -> Decimal:
    exact = Decimal(per_batch) * Decimal(produced) / Decimal(yield_quantity)
    return exact.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN)


class Before:
    """Rows as the code before 0013 wrote them."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.db = connection
        self.merchant, self.location = uuid.uuid4(), uuid.uuid4()

    async def shop(self) -> None:
        await self.db.execute("INSERT INTO merchant (id) VALUES ($1)", self.merchant)
        await self.db.execute(
            "INSERT INTO location (id, merchant_id, name) VALUES ($1, $2, 'Main')",
            self.location,
            self.merchant,
        )

    async def material(self, name: str) -> uuid.UUID:
        material = uuid.uuid4()
        await self.db.execute(
            "INSERT INTO material (id, merchant_id, name, unit) VALUES ($1, $2, $3, 'g')",
            material,
            self.merchant,
            name,
        )
        return material

    async def product_stock(self) -> uuid.UUID:
        item, stock = uuid.uuid4(), uuid.uuid4()
        await self.db.execute(
            "INSERT INTO inventory_item (id, merchant_id, product_variant_id, name, unit)"
            " VALUES ($1, $2, $3, 'Cookie', 'pcs')",
            item,
            self.merchant,
            uuid.uuid4(),
        )
        await self.db.execute(
            "INSERT INTO stock (id, merchant_id, location_id, item_type, inventory_item_id,"
            " version) VALUES ($1, $2, $3, 'PRODUCT', $4, 0)",
            stock,
            self.merchant,
            self.location,
            item,
        )
        return stock

    async def movement(
        self, stock: uuid.UUID, kind: str, reference_type: str, reference: str, delta: int
    ) -> None:
        await self.db.execute(
            "INSERT INTO stock_movement (id, merchant_id, stock_id, location_id, type,"
            " reference_type, reference_id, delta_on_hand, on_hand_after, reserved_after)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, 0)",
            uuid.uuid4(),
            self.merchant,
            stock,
            self.location,
            kind,
            reference_type,
            reference,
            Decimal(delta),
        )

    async def prep_recipe(
        self, prep_item: uuid.UUID, yield_quantity: str, lines: dict[uuid.UUID, str]
    ) -> None:
        recipe = uuid.uuid4()
        await self.db.execute(
            "INSERT INTO recipe (id, merchant_id, owner_type, owner_id, yield_quantity)"
            " VALUES ($1, $2, 'PREP_ITEM', $3, $4)",
            recipe,
            self.merchant,
            prep_item,
            Decimal(yield_quantity),
        )
        for position, (material, quantity) in enumerate(lines.items()):
            await self.db.execute(
                "INSERT INTO recipe_line (id, merchant_id, recipe_id, material_id, quantity,"
                " position) VALUES ($1, $2, $3, $4, $5, $6)",
                uuid.uuid4(),
                self.merchant,
                recipe,
                material,
                Decimal(quantity),
                position,
            )

    async def production(self, prep_item: uuid.UUID, produced: str) -> uuid.UUID:
        production = uuid.uuid4()
        await self.db.execute(
            "INSERT INTO production (id, merchant_id, location_id, material_id,"
            " quantity_produced, batches, consumed) VALUES ($1, $2, $3, $4, $5, 1, '[]')",
            production,
            self.merchant,
            self.location,
            prep_item,
            Decimal(produced),
        )
        return production


async def test_later_returns_move_under_the_sale_order_id_and_productions_keep_their_recipe(
    database: str,
) -> None:
    await asyncio.to_thread(command.upgrade, alembic_config(database), BEFORE)
    connection = await asyncpg.connect(_plain(database))
    try:
        before = Before(connection)
        await before.shop()
        stock = await before.product_stock()
        order = str(uuid.uuid4())
        await before.movement(stock, "SALE", "SALE_ORDER", order, -3)
        await before.movement(stock, "RETURN", "SALE_ORDER", order, 1)
        await before.movement(stock, "RETURN", "SALE_ORDER", f"{order}#2", 1)
        await before.movement(stock, "RETURN", "SALE_ORDER", f"{order}#3", 1)
        # A '#' in any other reference is someone else's id, left alone.
        await before.movement(stock, "ADJUSTMENT", "MANUAL", "shelf#2", 5)
        beans, milk, sugar = [await before.material(n) for n in ("Beans", "Milk", "Sugar")]
        syrup, cold_brew = [await before.material(n) for n in ("Syrup", "Cold brew")]
        # Ties at the 7th place: 0.000005 x 1 / 2 = 0.0000025 and 0.000015 / 2 = 0.0000075.
        await before.prep_recipe(syrup, "2", {beans: "100", milk: "0.000005", sugar: "0.000015"})
        await before.prep_recipe(cold_brew, "3000", {beans: "100"})
        syrup_made = await before.production(syrup, "1")
        cold_brew_made = await before.production(cold_brew, "1000")
    finally:
        await connection.close()

    await asyncio.to_thread(upgrade_to_head, database)

    connection = await asyncpg.connect(_plain(database))
    try:
        moves = await connection.fetch(
            "SELECT type, reference_id, occurrence, delta_on_hand FROM stock_movement"
            " ORDER BY type, occurrence"
        )
        kept = await connection.fetch(
            "SELECT production_id, material_id, quantity FROM production_recipe_line"
        )
    finally:
        await connection.close()

    assert [tuple(m) for m in moves] == [
        ("ADJUSTMENT", "shelf#2", 1, Decimal(5)),
        ("RETURN", order, 1, Decimal(1)),
        ("RETURN", order, 2, Decimal(1)),
        ("RETURN", order, 3, Decimal(1)),
        ("SALE", order, 1, Decimal(-3)),
    ]
    assert {(k["production_id"], k["material_id"]): k["quantity"] for k in kept} == {
        (syrup_made, beans): _half_even("100", "1", "2"),
        (syrup_made, milk): _half_even("0.000005", "1", "2"),
        (syrup_made, sugar): _half_even("0.000015", "1", "2"),
        (cold_brew_made, beans): _half_even("100", "1000", "3000"),
    }
    # Half to even, not half up: the ties went to 0.000002 and 0.000008.
    assert _half_even("0.000005", "1", "2") == Decimal("0.000002")
    assert _half_even("0.000015", "1", "2") == Decimal("0.000008")
