"""Recipes of product variants and modifier options: all lines replaced at once, line rules."""

import asyncio
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.models import InventoryItem, Material
from app.domain.enums import RecipeOwner
from app.domain.errors import DomainError, UserErrorCode
from app.services.context import Actor
from app.services.recipes import RecipeLineInput, set_modifier_recipe, set_recipe

MERCHANT = uuid.uuid4()
OTHER = uuid.uuid4()
ACTOR = Actor(MERCHANT, "user:ana")


def _problems(error: pytest.ExceptionInfo[DomainError]) -> list[tuple[UserErrorCode, object]]:
    return [(p.code, p.field) for p in error.value.problems]


async def _materials(
    sessions: async_sessionmaker[AsyncSession], n: int, merchant: uuid.UUID = MERCHANT
) -> list[uuid.UUID]:
    async with sessions.begin() as session:
        materials = [Material(merchant_id=merchant, name=f"m{i}", unit="g") for i in range(n)]
        session.add_all(materials)
    return [m.id for m in materials]


async def _variant(
    sessions: async_sessionmaker[AsyncSession], merchant: uuid.UUID = MERCHANT
) -> tuple[uuid.UUID, uuid.UUID]:
    """(product variant id, inventory item id)."""
    async with sessions.begin() as session:
        item = InventoryItem(merchant_id=merchant, product_variant_id=uuid.uuid4(), name="Latte")
        session.add(item)
    return item.product_variant_id, item.id


async def _lines(
    sessions: async_sessionmaker[AsyncSession], owner_id: uuid.UUID, merchant: uuid.UUID = MERCHANT
) -> list[tuple[uuid.UUID, Decimal]]:
    recipe, line = t.recipe, t.recipe_line
    async with sessions() as session:
        rows = await session.execute(
            select(line.c.material_id, line.c.quantity)
            .join(recipe, recipe.c.id == line.c.recipe_id)
            .where(recipe.c.merchant_id == merchant, recipe.c.owner_id == owner_id)
            .order_by(line.c.position)
        )
        return [(r.material_id, r.quantity) for r in rows]


async def test_a_recipe_is_set_replaced_and_cleared_as_a_whole(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    milk, espresso, syrup = await _materials(sessions, 3)
    variant, item = await _variant(sessions)

    first = await set_recipe(
        sessions,
        ACTOR,
        product_variant_id=variant,
        lines=[RecipeLineInput(milk, Decimal("180")), RecipeLineInput(espresso, Decimal("0.5"))],
    )
    first_lines = await _lines(sessions, variant)
    replaced = await set_recipe(
        sessions, ACTOR, product_variant_id=variant, lines=[RecipeLineInput(syrup, Decimal(15))]
    )
    replaced_lines = await _lines(sessions, variant)
    cleared = await set_recipe(sessions, ACTOR, product_variant_id=variant, lines=[])

    async with sessions() as session:
        recipe = (await session.execute(select(t.recipe))).one()
    assert (first.inventory_item_id, first.recipe_id) == (item, recipe.id)
    assert replaced == first == cleared
    assert first_lines == [(milk, Decimal(180)), (espresso, Decimal("0.5"))]
    assert replaced_lines == [(syrup, Decimal(15))]
    assert await _lines(sessions, variant) == []
    assert (recipe.owner_type, recipe.owner_id) == (RecipeOwner.PRODUCT_VARIANT, variant)
    assert recipe.updated_at > recipe.created_at


async def test_an_unknown_or_another_merchants_variant_is_not_found(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    [milk] = await _materials(sessions, 1)
    theirs, _ = await _variant(sessions, OTHER)

    for variant in (theirs, uuid.uuid4()):
        with pytest.raises(DomainError) as refused:
            await set_recipe(
                sessions,
                ACTOR,
                product_variant_id=variant,
                lines=[RecipeLineInput(milk, Decimal(1))],
            )
        assert _problems(refused) == [(UserErrorCode.NOT_FOUND, ("productVariantId",))]
    assert await _lines(sessions, theirs, OTHER) == []


async def test_every_bad_line_is_reported_together_and_nothing_changes(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    milk, archived, espresso = await _materials(sessions, 3)
    [theirs] = await _materials(sessions, 1, OTHER)
    async with sessions.begin() as session:
        await session.execute(
            t.material.update().where(t.material.c.id == archived).values(archived=True)
        )
    variant, _ = await _variant(sessions)
    await set_recipe(
        sessions, ACTOR, product_variant_id=variant, lines=[RecipeLineInput(espresso, Decimal(1))]
    )

    with pytest.raises(DomainError) as refused:
        await set_recipe(
            sessions,
            ACTOR,
            product_variant_id=variant,
            lines=[
                RecipeLineInput(milk, Decimal(100)),
                RecipeLineInput(theirs, Decimal(1)),
                RecipeLineInput(archived, Decimal(1)),
                RecipeLineInput(espresso, Decimal(0)),
                RecipeLineInput(uuid.uuid4(), Decimal(-2)),
                RecipeLineInput(milk, Decimal("0.0000001")),
            ],
        )

    assert _problems(refused) == [
        (UserErrorCode.INVALID, ("lines", 3, "quantity")),
        (UserErrorCode.INVALID, ("lines", 4, "quantity")),
        (UserErrorCode.INVALID, ("lines", 5, "quantity")),
        (UserErrorCode.DUPLICATE, ("lines", 5, "materialId")),
        (UserErrorCode.NOT_FOUND, ("lines", 1, "materialId")),
        (UserErrorCode.ARCHIVED, ("lines", 2, "materialId")),
        (UserErrorCode.NOT_FOUND, ("lines", 4, "materialId")),
    ]
    assert await _lines(sessions, variant) == [(espresso, Decimal(1))]


async def test_an_archived_inventory_item_takes_no_recipe(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    [milk] = await _materials(sessions, 1)
    variant, _ = await _variant(sessions)
    async with sessions.begin() as session:
        await session.execute(t.inventory_item.update().values(archived=True))

    with pytest.raises(DomainError) as refused:
        await set_recipe(
            sessions, ACTOR, product_variant_id=variant, lines=[RecipeLineInput(milk, Decimal(1))]
        )

    assert _problems(refused) == [(UserErrorCode.ARCHIVED, ("productVariantId",))]


async def test_a_modifier_recipe_is_set_per_merchant_and_replaced_as_a_whole(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    espresso, syrup = await _materials(sessions, 2)
    [their_espresso] = await _materials(sessions, 1, OTHER)
    extra_shot = uuid.uuid4()  # commerce's modifier option id, the same for both merchants here

    ours = await set_modifier_recipe(
        sessions,
        ACTOR,
        modifier_option_id=extra_shot,
        lines=[RecipeLineInput(espresso, Decimal(18)), RecipeLineInput(syrup, Decimal("2.5"))],
    )
    theirs = await set_modifier_recipe(
        sessions,
        Actor(OTHER),
        modifier_option_id=extra_shot,
        lines=[RecipeLineInput(their_espresso, Decimal(20))],
    )
    again = await set_modifier_recipe(
        sessions, ACTOR, modifier_option_id=extra_shot, lines=[RecipeLineInput(syrup, Decimal(5))]
    )

    assert ours.modifier_option_id == extra_shot
    assert again == ours
    assert theirs.recipe_id != ours.recipe_id
    assert await _lines(sessions, extra_shot) == [(syrup, Decimal(5))]
    assert await _lines(sessions, extra_shot, OTHER) == [(their_espresso, Decimal(20))]
    async with sessions() as session:
        owners = (await session.execute(select(t.recipe.c.owner_type))).scalars().all()
    assert set(owners) == {RecipeOwner.MODIFIER_OPTION}


async def test_a_modifier_recipe_follows_the_same_line_rules(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    [espresso] = await _materials(sessions, 1)
    [theirs] = await _materials(sessions, 1, OTHER)

    with pytest.raises(DomainError) as refused:
        await set_modifier_recipe(
            sessions,
            ACTOR,
            modifier_option_id=uuid.uuid4(),
            lines=[
                RecipeLineInput(espresso, Decimal(1)),
                RecipeLineInput(espresso, Decimal(2)),
                RecipeLineInput(theirs, Decimal("-1")),
            ],
        )

    assert _problems(refused) == [
        (UserErrorCode.DUPLICATE, ("lines", 1, "materialId")),
        (UserErrorCode.INVALID, ("lines", 2, "quantity")),
        (UserErrorCode.NOT_FOUND, ("lines", 2, "materialId")),
    ]
    async with sessions() as session:
        assert (await session.execute(select(t.recipe))).first() is None


async def test_concurrent_replacements_leave_one_whole_recipe(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    materials = await _materials(sessions, 6)
    variant, _ = await _variant(sessions)
    candidates = [
        [RecipeLineInput(m, Decimal(i + 1)) for m in materials[i % 3 : i % 3 + 3]]
        for i in range(12)
    ]

    await asyncio.gather(
        *(set_recipe(sessions, ACTOR, product_variant_id=variant, lines=c) for c in candidates)
    )

    final = await _lines(sessions, variant)
    assert final in [[(line.material_id, line.quantity) for line in c] for c in candidates]
