# ruff: noqa: E501  (GraphQL documents read better on one line)
"""unmappedSales: the sale lines that depleted nothing, recorded by the payment path in
the payment's own transaction, summed per product variant and modifier option over a
period by the payments' occurredAt."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.domain.sale import PaymentSucceeded, SaleItem, SaleModifier
from app.services.sales import apply_payment
from graphql_schema.ids import global_id
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Gql

QUERY = """query($l: ID!, $f: DateTime!, $t: DateTime!) { unmappedSales(locationId: $l, from: $f, to: $t) {
  productVariantId modifierOptionId inventoryItem { name } quantitySold sales lastSoldAt } }"""
MONDAY = datetime(2026, 11, 2, 9, tzinfo=UTC)


async def test_lines_that_deplete_nothing_are_summed_per_variant_and_modifier_option(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    location = await seed.location(sessions, MERCHANT_A)
    milk = await seed.material(sessions, MERCHANT_A, "Milk", "ml")
    _tea, tea_variant = await seed.item(sessions, MERCHANT_A, "Tea", track=False)
    _latte, latte_variant = await seed.item(sessions, MERCHANT_A, "Latte", track=False)
    _cookie, cookie_variant = await seed.item(sessions, MERCHANT_A, "Cookie")
    syrup, shot = uuid.uuid4(), uuid.uuid4()
    recipe = "mutation($v: ID!, $l: [RecipeLineInput!]!) { recipeSet(productVariantId: $v, lines: $l) { userErrors { message } } }"
    modifier = "mutation($m: ID!, $l: [RecipeLineInput!]!) { modifierRecipeSet(modifierOptionId: $m, lines: $l) { userErrors { message } } }"
    milk_line = {"materialId": global_id("Material", milk), "quantity": "200"}
    assert (await gql.data(recipe, {"v": str(latte_variant), "l": [milk_line]}))["recipeSet"][
        "userErrors"
    ] == []
    assert (await gql.data(modifier, {"m": str(shot), "l": [milk_line]}))["modifierRecipeSet"][
        "userErrors"
    ] == []

    async def pay(at: datetime, *items: SaleItem) -> None:
        payment = PaymentSucceeded(uuid.uuid4(), MERCHANT_A, location, uuid.uuid4(), items, at)
        await apply_payment(sessions, payment)
        # A re-delivered payment records nothing new.
        await apply_payment(sessions, payment)

    # Monday: 2 teas; 3 lattes with 2 syrups each and a shot (the shot has a recipe).
    await pay(
        MONDAY,
        SaleItem(uuid.uuid4(), tea_variant, Decimal(2)),
        SaleItem(
            uuid.uuid4(),
            latte_variant,
            Decimal(3),
            (SaleModifier(syrup, Decimal(2)), SaleModifier(shot, Decimal(1))),
        ),
        SaleItem(uuid.uuid4(), cookie_variant, Decimal(1)),
    )
    # Tuesday: 1 tea. The next Monday, outside the period: 5 teas.
    await pay(MONDAY + timedelta(days=1), SaleItem(uuid.uuid4(), tea_variant, Decimal(1)))
    await pay(MONDAY + timedelta(days=7), SaleItem(uuid.uuid4(), tea_variant, Decimal(5)))

    data = await gql.data(
        QUERY,
        {
            "l": global_id("Location", location),
            "f": MONDAY.isoformat(),
            "t": (MONDAY + timedelta(days=7)).isoformat(),
        },
    )

    assert data["unmappedSales"] == [
        # 3 lattes x 2 syrups
        {
            "productVariantId": str(latte_variant),
            "modifierOptionId": str(syrup),
            "inventoryItem": {"name": "Latte"},
            "quantitySold": "6",
            "sales": 1,
            "lastSoldAt": "2026-11-02T09:00:00Z",
        },
        {
            "productVariantId": str(tea_variant),
            "modifierOptionId": None,
            "inventoryItem": {"name": "Tea"},
            "quantitySold": "3",
            "sales": 2,
            "lastSoldAt": "2026-11-03T09:00:00Z",
        },
    ]
