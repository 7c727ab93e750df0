# ruff: noqa: E501  (GraphQL documents read better on one line)
"""Prep items over GraphQL: prep recipes (cycles refused), productions in one transaction,
consumed overrides, shortages that write nothing, idempotency, costs, producible."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.domain.enums import ItemType
from app.kafka import topics
from graphql_schema.ids import global_id
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Gql

Sessions = async_sessionmaker[AsyncSession]
ERRORS = "userErrors { field message code }"
SET_PREP = f"""mutation($m: ID!, $i: PrepRecipeInput) {{ materialPrepRecipeSet(materialId: $m, input: $i) {{
    material {{ name prepRecipe {{ yieldQuantity lines {{ quantity enteredQuantity enteredUnit material {{ name }} }} }} }} {ERRORS} }} }}"""
RECORD = f"""mutation($i: ProductionInput!, $k: String) {{ productionRecord(input: $i, idempotencyKey: $k) {{
    production {{ id uuid quantityProduced batches reason actor material {{ name }} location {{ name }}
                  consumed {{ quantity enteredQuantity enteredUnit material {{ name }} }} }} {ERRORS} }} }}"""


class ColdBrew:
    """Coffee (kg, with a cost) and water (l) make cold brew (ml): 100 g + 1 l -> 900 ml."""

    def __init__(self, gql: Gql, sessions: Sessions) -> None:
        self.gql, self.sessions = gql, sessions

    async def build(self, *, coffee: str = "1000", water: str = "10000") -> ColdBrew:
        sessions = self.sessions
        self.location = await seed.location(sessions, MERCHANT_A, "Kitchen")
        self.coffee = await seed.material(sessions, MERCHANT_A, "Coffee", "g")
        self.water = await seed.material(sessions, MERCHANT_A, "Water", "ml")
        self.brew = await seed.material(sessions, MERCHANT_A, "Cold brew", "ml")
        await seed.stock(
            sessions, MERCHANT_A, self.location, ItemType.MATERIAL, self.coffee, coffee
        )
        await seed.stock(sessions, MERCHANT_A, self.location, ItemType.MATERIAL, self.water, water)
        async with sessions.begin() as session:
            await session.execute(
                update(t.material)
                .where(t.material.c.id == self.coffee)
                .values(average_unit_cost=Decimal("0.02"))
            )
        set_prep = await self.gql.data(
            SET_PREP,
            {
                "m": self.gid(self.brew),
                "i": {
                    "yieldQuantity": "0.9",
                    "yieldUnit": "l",
                    "lines": [
                        {"materialId": self.gid(self.coffee), "quantity": "0.1", "unit": "kg"},
                        {"materialId": self.gid(self.water), "quantity": "1", "unit": "l"},
                    ],
                },
            },
        )
        assert set_prep["materialPrepRecipeSet"]["userErrors"] == []
        return self

    @staticmethod
    def gid(material_id: uuid.UUID) -> str:
        return global_id("Material", material_id)

    @property
    def location_gid(self) -> str:
        return global_id("Location", self.location)

    async def record(self, quantity: str, key: str | None = None, **extra: Any) -> Any:
        data = await self.gql.data(
            RECORD,
            {
                "i": {
                    "locationId": self.location_gid,
                    "materialId": self.gid(self.brew),
                    "quantityProduced": quantity,
                    **extra,
                },
                "k": key,
            },
        )
        return data["productionRecord"]

    async def on_hand(self) -> dict[str, Decimal]:
        async with self.sessions() as session:
            rows = await session.execute(
                select(t.material.c.name, t.stock.c.on_hand)
                .join(t.stock, t.stock.c.material_id == t.material.c.id)
                .where(t.stock.c.location_id == self.location)
            )
            return {row.name: row.on_hand for row in rows}

    async def movements(self) -> int:
        async with self.sessions() as session:
            count: int = (
                await session.execute(
                    select(func.count())
                    .select_from(t.stock_movement)
                    .where(t.stock_movement.c.location_id == self.location)
                )
            ).scalar_one()
            return count


async def test_a_prep_recipe_is_kept_in_base_units_with_what_was_entered(
    gql: Gql, sessions: Sessions
) -> None:
    brew = await ColdBrew(gql, sessions).build()

    data = await gql.data(
        "query($m: ID!) { material(id: $m) { prepRecipe { yieldQuantity lines { quantity enteredQuantity enteredUnit } } } }",
        {"m": brew.gid(brew.brew)},
    )
    cleared = await gql.data(SET_PREP, {"m": brew.gid(brew.brew), "i": None})

    assert data["material"]["prepRecipe"] == {
        "yieldQuantity": "900",
        "lines": [
            {"quantity": "100", "enteredQuantity": "0.1", "enteredUnit": "kg"},
            {"quantity": "1000", "enteredQuantity": "1", "enteredUnit": "l"},
        ],
    }
    assert cleared["materialPrepRecipeSet"]["material"] == {"name": "Cold brew", "prepRecipe": None}


async def test_cycles_are_invalid_on_lines(gql: Gql, sessions: Sessions) -> None:
    brew = await ColdBrew(gql, sessions).build()
    tonic = await seed.material(sessions, MERCHANT_A, "Brew tonic", "ml")
    await gql.data(
        SET_PREP,
        {
            "m": brew.gid(tonic),
            "i": {
                "yieldQuantity": "1",
                "lines": [{"materialId": brew.gid(brew.brew), "quantity": "1"}],
            },
        },
    )

    itself = await gql.data(
        SET_PREP,
        {
            "m": brew.gid(brew.brew),
            "i": {
                "yieldQuantity": "1",
                "lines": [{"materialId": brew.gid(brew.brew), "quantity": "1"}],
            },
        },
    )
    through = await gql.data(
        SET_PREP,
        {
            "m": brew.gid(brew.brew),
            "i": {
                "yieldQuantity": "1",
                "lines": [{"materialId": brew.gid(tonic), "quantity": "1"}],
            },
        },
    )

    cycle = {
        "field": ["input", "lines"],
        "message": "a prep recipe cannot use its own prep item, directly or through another",
        "code": "INVALID",
    }
    assert itself["materialPrepRecipeSet"] == {"material": None, "userErrors": [cycle]}
    assert through["materialPrepRecipeSet"] == {"material": None, "userErrors": [cycle]}


async def test_a_production_consumes_the_scaled_recipe_and_makes_the_item(
    gql: Gql, sessions: Sessions
) -> None:
    brew = await ColdBrew(gql, sessions).build()

    # 1.35 l is 1.5 batches of 900 ml: 150 g coffee and 1500 ml water.
    made = await brew.record("1.35", unit="L", reason="morning batch")
    movements = await gql.data(
        """query($l: ID!) { stockMovements(first: 10, locationId: $l, referenceType: PRODUCTION) {
            nodes { type referenceId deltaOnHand enteredQuantity enteredUnit stock { item { ... on Material { name } } } } } }""",
        {"l": brew.location_gid},
    )

    assert made["userErrors"] == []
    production = made["production"]
    assert production["quantityProduced"] == "1350"
    assert production["batches"] == "1.5"
    assert production["reason"] == "morning batch"
    assert production["actor"] == "user:tester"
    assert (production["material"], production["location"]) == (
        {"name": "Cold brew"},
        {"name": "Kitchen"},
    )
    assert production["consumed"] == [
        {
            "quantity": "150",
            "enteredQuantity": "150",
            "enteredUnit": "g",
            "material": {"name": "Coffee"},
        },
        {
            "quantity": "1500",
            "enteredQuantity": "1500",
            "enteredUnit": "ml",
            "material": {"name": "Water"},
        },
    ]
    assert await brew.on_hand() == {
        "Coffee": Decimal(850),
        "Water": Decimal(8500),
        "Cold brew": Decimal(1350),
    }
    nodes = movements["stockMovements"]["nodes"]
    assert {(n["type"], n["stock"]["item"]["name"], n["deltaOnHand"]) for n in nodes} == {
        ("PRODUCTION_CONSUMPTION", "Coffee", "-150"),
        ("PRODUCTION_CONSUMPTION", "Water", "-1500"),
        ("PRODUCTION_OUTPUT", "Cold brew", "1350"),
    }
    assert {n["referenceId"] for n in nodes} == {production["uuid"]}
    output = next(n for n in nodes if n["type"] == "PRODUCTION_OUTPUT")
    assert (output["enteredQuantity"], output["enteredUnit"]) == ("1.35", "l")
    checked = await gql.data("{ ledgerCheck { stocksChecked discrepancies { ledgerOnHand } } }")
    assert checked["ledgerCheck"] == {"stocksChecked": 3, "discrepancies": []}


async def test_the_average_cost_of_what_was_made(gql: Gql, sessions: Sessions) -> None:
    brew = await ColdBrew(gql, sessions).build()

    await brew.record("900")
    first = await gql.data(
        "query($m: ID!) { material(id: $m) { averageUnitCost } }", {"m": brew.gid(brew.brew)}
    )
    await brew.record("1800")
    second = await gql.data(
        "query($m: ID!) { material(id: $m) { averageUnitCost } }", {"m": brew.gid(brew.brew)}
    )

    # 100 g of coffee at 0.02 = 2.00 for 900 ml (water never costed counts as free).
    assert Decimal(first["material"]["averageUnitCost"]) == Decimal("0.002222222222")
    # Blended: (900 x 0.002222222222 + 4.00) / 2700.
    expected = (Decimal(900) * Decimal("0.002222222222") + Decimal(4)) / Decimal(2700)
    assert Decimal(second["material"]["averageUnitCost"]) == expected.quantize(Decimal("1e-12"))


async def test_consumed_overrides_what_the_recipe_says(gql: Gql, sessions: Sessions) -> None:
    brew = await ColdBrew(gql, sessions).build()

    made = await brew.record(
        "900",
        consumed=[
            {"materialId": brew.gid(brew.coffee), "quantity": "0.12", "unit": "kg"},
            {"materialId": brew.gid(brew.water), "quantity": "1100"},
        ],
    )

    assert made["userErrors"] == []
    assert made["production"]["consumed"][0] == {
        "quantity": "120",
        "enteredQuantity": "0.12",
        "enteredUnit": "kg",
        "material": {"name": "Coffee"},
    }
    assert await brew.on_hand() == {
        "Coffee": Decimal(880),
        "Water": Decimal(8900),
        "Cold brew": Decimal(900),
    }


async def test_a_shortage_writes_nothing_unless_allow_negative(
    gql: Gql, sessions: Sessions
) -> None:
    brew = await ColdBrew(gql, sessions).build(coffee="120")
    before = await brew.on_hand()
    movements_before = await brew.movements()

    short = await brew.record("1800")
    short_consumed = await brew.record(
        "900", consumed=[{"materialId": brew.gid(brew.coffee), "quantity": "200"}]
    )
    after = await brew.on_hand()
    movements_after = await brew.movements()
    forced = await brew.record("1800", allowNegative=True)

    assert short == {
        "production": None,
        "userErrors": [
            {
                "field": ["input", "quantityProduced"],
                "message": "Coffee: 200 needed, 120 available",
                "code": "INSUFFICIENT_STOCK",
            }
        ],
    }
    assert short_consumed["userErrors"] == [
        {
            "field": ["input", "consumed", "0", "quantity"],
            "message": "Coffee: 200 needed, 120 available",
            "code": "INSUFFICIENT_STOCK",
        }
    ]
    assert after == before
    assert movements_after == movements_before
    assert forced["userErrors"] == []
    assert (await brew.on_hand())["Coffee"] == Decimal(-80)


async def test_the_idempotency_key_replays_a_production(gql: Gql, sessions: Sessions) -> None:
    brew = await ColdBrew(gql, sessions).build()

    first = await brew.record("900", key="batch-1")
    again = await brew.record("900", key="batch-1")
    other = await brew.record("450", key="batch-1")

    assert again["production"]["id"] == first["production"]["id"]
    assert other["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_MISMATCH"
    assert (await brew.on_hand())["Cold brew"] == Decimal(900)


async def test_what_is_not_a_prep_item_or_does_not_convert(gql: Gql, sessions: Sessions) -> None:
    brew = await ColdBrew(gql, sessions).build()

    not_prep = await gql.data(
        RECORD,
        {
            "i": {
                "locationId": brew.location_gid,
                "materialId": brew.gid(brew.water),
                "quantityProduced": "1",
            }
        },
    )
    mismatch = await brew.record("1", unit="kg")

    assert not_prep["productionRecord"]["userErrors"] == [
        {
            "field": ["input", "materialId"],
            "message": "is not a prep item (no prep recipe)",
            "code": "INVALID",
        }
    ]
    assert mismatch["userErrors"] == [
        {
            "field": ["input", "unit"],
            "message": "kg does not convert to ml for this item",
            "code": "UNIT_MISMATCH",
        }
    ]


async def test_productions_query_and_producible(gql: Gql, sessions: Sessions) -> None:
    brew = await ColdBrew(gql, sessions).build(coffee="250")
    await brew.record("900")

    data = await gql.data(
        """query($l: ID!, $m: ID!, $w: ID!) {
            productions(first: 5, locationId: $l, materialId: $m) { totalCount nodes { quantityProduced } }
            none: productions(first: 5, materialId: $w) { totalCount }
            brew: material(id: $m) { producible(locationId: $l) }
            water: material(id: $w) { producible(locationId: $l) } }""",
        {"l": brew.location_gid, "m": brew.gid(brew.brew), "w": brew.gid(brew.water)},
    )

    assert data["productions"] == {"totalCount": 1, "nodes": [{"quantityProduced": "900"}]}
    assert data["none"] == {"totalCount": 0}
    # 150 g of coffee left make 1.5 batches (water: 9000 ml, 9 batches): 1350 ml.
    assert data["brew"] == {"producible": "1350"}
    assert data["water"] == {"producible": None}


async def test_every_production_movement_publishes_a_stock_change(
    gql: Gql, sessions: Sessions
) -> None:
    brew = await ColdBrew(gql, sessions).build()

    await brew.record("900")

    async with sessions() as session:
        payloads = (
            (
                await session.execute(
                    select(t.outbox_event.c.payload).where(
                        t.outbox_event.c.topic == topics.INVENTORY_STOCK_CHANGED,
                        t.outbox_event.c.merchant_id == MERCHANT_A,
                    )
                )
            )
            .scalars()
            .all()
        )
    types = sorted(
        p["movement"]["type"] for p in payloads if p["movement"]["referenceType"] == "PRODUCTION"
    )
    assert types == ["PRODUCTION_CONSUMPTION", "PRODUCTION_CONSUMPTION", "PRODUCTION_OUTPUT"]
