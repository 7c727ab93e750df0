# ruff: noqa: E501  (GraphQL documents read better on one line)
"""usageReport explains a production by the prep recipe it was made by, not the recipe now.

Cold brew is made twice: once by a first recipe, then by an edited one (more beans, and
milk). Each period's theoretical use is the recipe then in force scaled to what was made,
rounded once (half to even, 6 places) as the consumption was; editing the recipe after a
period changes nothing of that period's report.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.domain.enums import ItemType
from graphql_schema.ids import global_id
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Gql

D = Decimal
REPORT = """query($l: ID!, $f: DateTime!, $t: DateTime!) { usageReport(locationId: $l, from: $f, to: $t) {
  lines(first: 10) { nodes { stock { item { ... on Material { name } } }
    produced actualUsage theoreticalUsage variance } } } }"""
RECIPE = "mutation($m: ID!, $i: PrepRecipeInput) { materialPrepRecipeSet(materialId: $m, input: $i) { userErrors { message } } }"
PRODUCE = (
    "mutation($i: ProductionInput!) { productionRecord(input: $i) { userErrors { message } } }"
)


def scaled(per_batch: str, produced: str, yield_quantity: str) -> Decimal:
    """The contract's rule worked here: per batch x produced / yield, half to even, 6 places."""
    exact = D(per_batch) * D(produced) / D(yield_quantity)
    return exact.quantize(D("0.000001"), rounding=ROUND_HALF_EVEN)


def plain(number: Decimal) -> str:
    """As the API writes a Decimal: plain notation, no trailing zeros."""
    return "0" if number == 0 else format(number.normalize(), "f")


class Kitchen:
    def __init__(self, gql: Gql, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.gql, self.sessions = gql, sessions

    async def open(self) -> None:
        s = self.sessions
        self.main = await seed.location(s, MERCHANT_A, "Main")
        self.beans = await seed.material(s, MERCHANT_A, "Beans", "g")
        self.milk = await seed.material(s, MERCHANT_A, "Milk", "ml")
        self.cold_brew = await seed.material(s, MERCHANT_A, "Cold brew", "ml")
        await seed.stock(s, MERCHANT_A, self.main, ItemType.MATERIAL, self.beans, "1000")
        await seed.stock(s, MERCHANT_A, self.main, ItemType.MATERIAL, self.milk, "2000")

    async def ok(self, query: str, variables: dict[str, Any], field: str) -> None:
        data = (await self.gql.data(query, variables))[field]
        assert data["userErrors"] == [], data["userErrors"]

    async def recipe(self, *lines: tuple[Any, str]) -> None:
        """A batch of 3 l, of these (material, quantity in its base unit) lines."""
        await self.ok(
            RECIPE,
            {
                "m": global_id("Material", self.cold_brew),
                "i": {
                    "yieldQuantity": "3",
                    "yieldUnit": "l",
                    "lines": [
                        {"materialId": global_id("Material", m), "quantity": q} for m, q in lines
                    ],
                },
            },
            "materialPrepRecipeSet",
        )

    async def produce(
        self, millilitres: str, consumed: list[tuple[Any, str]] | None = None
    ) -> None:
        given: dict[str, Any] = {
            "locationId": global_id("Location", self.main),
            "materialId": global_id("Material", self.cold_brew),
            "quantityProduced": millilitres,
        }
        if consumed is not None:
            given["consumed"] = [
                {"materialId": global_id("Material", m), "quantity": q} for m, q in consumed
            ]
        await self.ok(PRODUCE, {"i": given}, "productionRecord")

    async def report(self, start: datetime, end: datetime) -> dict[str, dict[str, Any]]:
        data = await self.gql.data(
            REPORT,
            {"l": global_id("Location", self.main), "f": start.isoformat(), "t": end.isoformat()},
        )
        return {
            line["stock"]["item"]["name"]: {k: v for k, v in line.items() if k != "stock"}
            for line in data["usageReport"]["lines"]["nodes"]
        }


async def test_each_period_is_explained_by_the_recipe_its_productions_were_made_by(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    kitchen = Kitchen(gql, sessions)
    await kitchen.open()
    await kitchen.recipe((kitchen.beans, "100"))
    first_from = datetime.now(UTC)
    await kitchen.produce("1000")
    first_to = datetime.now(UTC)
    first_before_the_edit = await kitchen.report(first_from, first_to)

    await kitchen.recipe((kitchen.beans, "200"), (kitchen.milk, "500"))
    second_from = datetime.now(UTC)
    await kitchen.produce("1000")
    # Made by the new recipe, but with 120 g of beans and no milk really used.
    await kitchen.produce("1500", consumed=[(kitchen.beans, "120")])
    second_to = datetime.now(UTC)

    first = await kitchen.report(first_from, first_to)
    second = await kitchen.report(second_from, second_to)

    # The first period, read again after the edit, is what it was.
    assert first == first_before_the_edit
    # 1 l by the first recipe: 100 g x 1000 / 3000 = 33.333333 g of beans, used as such.
    beans_first = scaled("100", "1000", "3000")
    assert beans_first == D("33.333333")
    assert first["Beans"] == {
        "produced": "0",
        "actualUsage": plain(beans_first),
        "theoreticalUsage": plain(beans_first),
        "variance": "0",
    }
    # No milk in the first recipe (the edited one has some): none used, none explained.
    assert first["Milk"] == {
        "produced": "0",
        "actualUsage": "0",
        "theoreticalUsage": "0",
        "variance": "0",
    }
    # 1 l and 1.5 l by the edited recipe: beans 200 x 1000 / 3000 = 66.666667 and
    # 200 x 1500 / 3000 = 100, milk 500 x 1000 / 3000 = 166.666667 and 250.
    beans_second = scaled("200", "1000", "3000") + scaled("200", "1500", "3000")
    milk_second = scaled("500", "1000", "3000") + scaled("500", "1500", "3000")
    assert (beans_second, milk_second) == (D("166.666667"), D("416.666667"))
    # Used: 66.666667 by the recipe, then the 120 g really consumed; milk only the first.
    beans_used = scaled("200", "1000", "3000") + D(120)
    milk_used = scaled("500", "1000", "3000")
    assert second["Beans"] == {
        "produced": "0",
        "actualUsage": plain(beans_used),
        "theoreticalUsage": plain(beans_second),
        "variance": plain(beans_used - beans_second),
    }
    assert second["Milk"] == {
        "produced": "0",
        "actualUsage": plain(milk_used),
        "theoreticalUsage": plain(milk_second),
        "variance": plain(milk_used - milk_second),
    }
    assert second["Cold brew"]["produced"] == "2500"
