"""Seeding rows for the sales, kitchen and item tests: a shop, materials, items, recipes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.models import InventoryItem, Location, Material, Recipe, RecipeLine
from app.db.queries.ledger import check_ledger
from app.domain.enums import ItemType, KitchenStatus, MovementType, RecipeOwner, ReferenceType
from app.domain.kitchen import KitchenStatusChanged
from app.domain.sale import PaymentSucceeded, SaleItem, SaleModifier
from app.services.context import Actor
from app.services.stock_ledger import Move, StockKey, apply_moves, lock_stocks

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 11, 22, 12, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Shop:
    merchant_id: uuid.UUID
    location_id: uuid.UUID

    @property
    def actor(self) -> Actor:
        return Actor(self.merchant_id, "test")

    def material(self, material_id: uuid.UUID) -> StockKey:
        return StockKey.material(self.location_id, material_id)

    def product(self, item_id: uuid.UUID) -> StockKey:
        return StockKey.product(self.location_id, item_id)


async def a_shop(
    sessions: Sessions,
    merchant_id: uuid.UUID | None = None,
    location_id: uuid.UUID | None = None,
) -> Shop:
    merchant_id = merchant_id or uuid.uuid4()
    async with sessions.begin() as session:
        location = Location(merchant_id=merchant_id, name="Main", is_default=True)
        if location_id is not None:
            location.id = location_id
        session.add(location)
    return Shop(merchant_id, location.id)


async def a_material(
    sessions: Sessions,
    shop: Shop,
    on_hand: str = "0",
    *,
    unit: str = "g",
    material_id: uuid.UUID | None = None,
) -> uuid.UUID:
    async with sessions.begin() as session:
        material = Material(merchant_id=shop.merchant_id, name="m", unit=unit)
        if material_id is not None:
            material.id = material_id
        session.add(material)
    await put_stock(sessions, shop, shop.material(material.id), on_hand)
    return material.id


async def an_item(
    sessions: Sessions,
    shop: Shop,
    *,
    tracked: bool,
    on_hand: str = "0",
    variant_id: uuid.UUID | None = None,
) -> tuple[uuid.UUID, uuid.UUID]:
    """(inventory item id, product variant id)."""
    variant_id = variant_id or uuid.uuid4()
    async with sessions.begin() as session:
        item = InventoryItem(
            merchant_id=shop.merchant_id,
            product_variant_id=variant_id,
            name="item",
            track_inventory=tracked,
        )
        session.add(item)
    if tracked:
        await put_stock(sessions, shop, shop.product(item.id), on_hand)
    return item.id, variant_id


async def put_stock(sessions: Sessions, shop: Shop, key: StockKey, on_hand: str) -> None:
    """Stock in through the ledger, so the ledger invariant holds from the start."""
    async with sessions.begin() as session:
        stocks = await lock_stocks(session, shop.merchant_id, [key])
        if Decimal(on_hand) != 0:
            move = Move(
                key,
                MovementType.ADJUSTMENT,
                ReferenceType.MANUAL,
                f"seed-{uuid.uuid4()}",
                delta_on_hand=Decimal(on_hand),
            )
            await apply_moves(session, shop.actor, stocks, [move])


async def set_recipe(
    sessions: Sessions,
    shop: Shop,
    owner_type: RecipeOwner,
    owner_id: uuid.UUID,
    lines: Mapping[uuid.UUID, str],
) -> None:
    """Replace the recipe of a variant or modifier option (material id → quantity)."""
    async with sessions.begin() as session:
        recipe_id = (
            await session.execute(
                select(t.recipe.c.id).where(
                    t.recipe.c.merchant_id == shop.merchant_id,
                    t.recipe.c.owner_type == owner_type,
                    t.recipe.c.owner_id == owner_id,
                )
            )
        ).scalar_one_or_none()
        if recipe_id is None:
            recipe = Recipe(merchant_id=shop.merchant_id, owner_type=owner_type, owner_id=owner_id)
            session.add(recipe)
            await session.flush()
            recipe_id = recipe.id
        await session.execute(delete(t.recipe_line).where(t.recipe_line.c.recipe_id == recipe_id))
        session.add_all(
            RecipeLine(
                merchant_id=shop.merchant_id,
                recipe_id=recipe_id,
                material_id=material_id,
                quantity=Decimal(quantity),
                position=i,
            )
            for i, (material_id, quantity) in enumerate(lines.items())
        )


async def latte_shop(
    sessions: Sessions, on_hand: str = "10"
) -> tuple[Shop, uuid.UUID, uuid.UUID, uuid.UUID]:
    """A shop selling a tracked latte made with 200 ml of milk: (shop, item, variant, milk)."""
    shop = await a_shop(sessions)
    milk = await a_material(sessions, shop, "100000", unit="ml")
    item, latte = await an_item(sessions, shop, tracked=True, on_hand=on_hand)
    await set_recipe(sessions, shop, RecipeOwner.PRODUCT_VARIANT, latte, {milk: "200"})
    return shop, item, latte, milk


def a_payment(
    shop: Shop,
    items: Sequence[SaleItem],
    *,
    sale_order_id: uuid.UUID | None = None,
    location_id: uuid.UUID | None = None,
) -> PaymentSucceeded:
    return PaymentSucceeded(
        event_id=uuid.uuid4(),
        merchant_id=shop.merchant_id,
        location_id=location_id or shop.location_id,
        sale_order_id=sale_order_id or uuid.uuid4(),
        items=tuple(items),
        occurred_at=NOW,
        payment_id="pay_test",
    )


def sold(
    variant_id: uuid.UUID,
    quantity: str,
    modifiers: Mapping[uuid.UUID, str] | None = None,
    *,
    sale_order_item_id: uuid.UUID | None = None,
) -> SaleItem:
    return SaleItem(
        sale_order_item_id=sale_order_item_id or uuid.uuid4(),
        product_variant_id=variant_id,
        quantity=Decimal(quantity),
        modifiers=tuple(SaleModifier(o, Decimal(q)) for o, q in (modifiers or {}).items()),
    )


def kitchen_event(
    shop: Shop,
    payment: PaymentSucceeded,
    item: SaleItem,
    status: KitchenStatus,
    *,
    kitchen_ticket_item_id: uuid.UUID,
    quantity: str | None = None,
    previous_status: KitchenStatus | None = None,
) -> KitchenStatusChanged:
    return KitchenStatusChanged(
        event_id=uuid.uuid4(),
        merchant_id=shop.merchant_id,
        location_id=payment.location_id,
        sale_order_id=payment.sale_order_id,
        sale_order_item_id=item.sale_order_item_id,
        kitchen_ticket_item_id=kitchen_ticket_item_id,
        product_variant_id=item.product_variant_id,
        quantity=Decimal(quantity) if quantity is not None else item.quantity,
        status=status,
        occurred_at=NOW,
        previous_status=previous_status,
    )


async def quantities(sessions: Sessions, key: StockKey) -> tuple[Decimal, Decimal]:
    """(on hand, reserved) of a stock; (0, 0) when it has no row."""
    stock = t.stock
    column = stock.c.inventory_item_id if key.item_type is ItemType.PRODUCT else stock.c.material_id
    async with sessions() as session:
        row = (
            await session.execute(
                select(stock.c.on_hand, stock.c.reserved).where(
                    stock.c.location_id == key.location_id, column == key.item_id
                )
            )
        ).one_or_none()
    return (Decimal(0), Decimal(0)) if row is None else (row.on_hand, row.reserved)


async def movements(
    sessions: Sessions, key: StockKey | None = None
) -> list[tuple[MovementType, Decimal, Decimal]]:
    """(type, delta on hand, delta reserved) of the ledger rows, in ledger order."""
    ledger, stock = t.stock_movement, t.stock
    statement = select(ledger.c.type, ledger.c.delta_on_hand, ledger.c.delta_reserved).order_by(
        ledger.c.occurred_at, ledger.c.id
    )
    if key is not None:
        column = (
            stock.c.inventory_item_id if key.item_type is ItemType.PRODUCT else stock.c.material_id
        )
        statement = statement.join(stock, stock.c.id == ledger.c.stock_id).where(
            stock.c.location_id == key.location_id, column == key.item_id
        )
    async with sessions() as session:
        rows = (await session.execute(statement)).all()
    return [(MovementType(r.type), r.delta_on_hand, r.delta_reserved) for r in rows]


async def assert_ledger_holds(sessions: Sessions) -> None:
    async with sessions() as session:
        check = await check_ledger(session)
    assert check.discrepancies == []


@pytest.fixture
async def ledger_checked(sessions: Sessions) -> AsyncIterator[None]:
    """After the test, whatever it did: every stock equals the sums of its ledger."""
    yield
    await assert_ledger_holds(sessions)
