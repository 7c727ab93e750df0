"""An identical little world per merchant, sale orders as hypothesis draws them, and the
stock the rules define for them (a model computed without the database)."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from hypothesis import strategies as st
from sqlalchemy import select

from app.db import tables as t
from app.db.models import InventoryItem, Location, Material, Recipe, RecipeLine
from app.domain.enums import KitchenEffect, KitchenStatus, MovementType, RecipeOwner, ReferenceType
from app.domain.kitchen import KitchenStatusChanged, terminal_effect
from app.domain.sale import PaymentSucceeded, SaleItem
from app.services.sales import apply_kitchen_status, apply_payment
from app.services.stock_ledger import Move, apply_moves, lock_stocks
from tests.services.sales_builders import Sessions, Shop, a_payment, kitchen_event, sold

PV = RecipeOwner.PRODUCT_VARIANT
MOD = RecipeOwner.MODIFIER_OPTION
S = KitchenStatus

TRACKED_WITH_RECIPE, UNTRACKED_WITH_RECIPE, PLAIN, TRACKED, UNKNOWN = (
    uuid.UUID(int=20 + i) for i in range(5)
)
EXTRA_SHOT, SYRUP = uuid.UUID(int=30), uuid.UUID(int=31)
MATERIAL_START = Decimal(100)
PRODUCT_START = {TRACKED_WITH_RECIPE: Decimal(50), TRACKED: Decimal(20)}
# Recipes by owner, materials by their index in the world.
RECIPES: dict[uuid.UUID, dict[int, Decimal]] = {
    TRACKED_WITH_RECIPE: {0: Decimal(2), 1: Decimal("0.5")},
    UNTRACKED_WITH_RECIPE: {1: Decimal(1), 2: Decimal("0.25")},
    UNKNOWN: {0: Decimal(1)},
    EXTRA_SHOT: {0: Decimal(1)},
    SYRUP: {2: Decimal("0.5")},
}
PATHS = [
    [],
    [S.PENDING],
    [S.PENDING, S.PREPARING],
    [S.PENDING, S.PREPARING, S.READY],
    [S.PENDING, S.READY, S.SERVED],
    [S.PENDING, S.CANCELLED],
    [S.PENDING, S.PREPARING, S.CANCELLED],
    [S.READY, S.CANCELLED],
    [S.READY, S.SERVED, S.CANCELLED],
]
Event = PaymentSucceeded | KitchenStatusChanged
# Material index or product variant id -> (on hand, reserved).
StockState = dict[int | uuid.UUID, tuple[Decimal, Decimal]]


@dataclass(frozen=True)
class World:
    shop: Shop
    materials: tuple[uuid.UUID, ...]


@dataclass
class Order:
    sale_order_id: uuid.UUID
    items: list[SaleItem]
    paid: bool
    # Per ticket item: its sale order item, quantity and status path.
    tickets: list[tuple[SaleItem, Decimal, list[KitchenStatus]]] = field(default_factory=list)

    def events(self, shop: Shop) -> list[Event]:
        payment = a_payment(shop, self.items, sale_order_id=self.sale_order_id)
        events: list[Event] = [payment] if self.paid else []
        for n, (item, quantity, path) in enumerate(self.tickets):
            ticket_item = uuid.UUID(int=self.sale_order_id.int + 1000 + n)
            for previous, status in zip([None, *path], path, strict=False):
                events.append(
                    kitchen_event(
                        shop,
                        payment,
                        item,
                        status,
                        kitchen_ticket_item_id=ticket_item,
                        quantity=str(quantity),
                        previous_status=previous,
                    )
                )
        return events


@st.composite
def orders(draw: st.DrawFn) -> list[Order]:
    variants = [TRACKED_WITH_RECIPE, UNTRACKED_WITH_RECIPE, PLAIN, TRACKED, UNKNOWN]
    result = []
    for o in range(draw(st.integers(1, 3))):
        order = Order(uuid.UUID(int=(o + 1) << 96), [], draw(st.sampled_from([True] * 3 + [False])))
        for i in range(draw(st.integers(1, 3))):
            modifiers = draw(
                st.lists(st.sampled_from([EXTRA_SHOT, SYRUP]), max_size=2, unique=True)
            )
            item = sold(
                draw(st.sampled_from(variants)),
                str(draw(st.integers(1, 3))),
                {m: str(draw(st.integers(1, 2))) for m in modifiers},
                sale_order_item_id=uuid.UUID(int=(o + 1) << 64 | i),
            )
            order.items.append(item)
            for _ in range(draw(st.integers(0, 2))):
                quantity = Decimal(draw(st.integers(1, 2)))
                order.tickets.append((item, quantity, draw(st.sampled_from(PATHS))))
        result.append(order)
    return result


def expected_state(orders: Sequence[Order]) -> StockState:
    """The stock the rules define, computed without the database."""
    state: dict[int | uuid.UUID, list[Decimal]] = {
        i: [MATERIAL_START, Decimal(0)] for i in range(3)
    }
    state |= {v: [q, Decimal(0)] for v, q in PRODUCT_START.items()}
    for order in (o for o in orders if o.paid):
        per_unit: dict[uuid.UUID, dict[int, Decimal]] = {}
        for item in order.items:
            if item.product_variant_id in state:
                state[item.product_variant_id][0] -= item.quantity
            units = per_unit.setdefault(item.sale_order_item_id, {})
            owners = [(item.product_variant_id, Decimal(1))]
            owners += [(m.modifier_option_id, m.quantity) for m in item.modifiers]
            for owner, times in owners:
                for material, quantity in RECIPES.get(owner, {}).items():
                    units[material] = units.get(material, Decimal(0)) + quantity * times
                    state[material][1] += item.quantity * quantity * times
        for item, quantity, path in order.tickets:
            effects = [terminal_effect(s, p) for p, s in zip([None, *path], path, strict=False)]
            effect = next((e for e in effects if e is not None), None)
            for material, unit in per_unit[item.sale_order_item_id].items():
                amount = min(quantity, item.quantity) * unit
                if effect is KitchenEffect.CONSUMED:
                    state[material][0] -= amount
                if effect is not None:
                    state[material][1] -= amount
    return {k: (v[0], v[1]) for k, v in state.items()}


async def seed_world(sessions: Sessions) -> World:
    """One transaction: the shop, three materials, the items, recipes and opening stock."""
    merchant_id = uuid.uuid4()
    async with sessions.begin() as session:
        location = Location(merchant_id=merchant_id, name="Main", is_default=True)
        materials = [Material(merchant_id=merchant_id, name=f"m{i}", unit="g") for i in range(3)]
        items = [
            InventoryItem(
                merchant_id=merchant_id,
                product_variant_id=variant,
                name="item",
                track_inventory=variant in PRODUCT_START,
            )
            for variant in (TRACKED_WITH_RECIPE, UNTRACKED_WITH_RECIPE, PLAIN, TRACKED)
        ]
        recipes = {
            owner: Recipe(
                merchant_id=merchant_id,
                owner_type=MOD if owner in (EXTRA_SHOT, SYRUP) else PV,
                owner_id=owner,
            )
            for owner in RECIPES
        }
        session.add_all([location, *materials, *items, *recipes.values()])
        await session.flush()
        session.add_all(
            RecipeLine(
                merchant_id=merchant_id,
                recipe_id=recipes[owner].id,
                material_id=materials[i].id,
                quantity=quantity,
            )
            for owner, lines in RECIPES.items()
            for i, quantity in lines.items()
        )
        shop = Shop(merchant_id, location.id)
        opening = [(shop.material(m.id), MATERIAL_START) for m in materials]
        opening += [
            (shop.product(i.id), PRODUCT_START[i.product_variant_id])
            for i in items
            if i.track_inventory
        ]
        stocks = await lock_stocks(session, merchant_id, [key for key, _ in opening])
        await apply_moves(
            session,
            shop.actor,
            stocks,
            [
                Move(key, MovementType.ADJUSTMENT, ReferenceType.MANUAL, "opening", quantity)
                for key, quantity in opening
            ],
        )
    return World(shop, tuple(m.id for m in materials))


async def play(sessions: Sessions, events: Sequence[Event]) -> None:
    for event in events:
        if isinstance(event, PaymentSucceeded):
            await apply_payment(sessions, event)
        else:
            await apply_kitchen_status(sessions, event)


async def stock_state(sessions: Sessions, world: World) -> StockState:
    stock, item = t.stock, t.inventory_item
    async with sessions() as session:
        rows = await session.execute(
            select(
                stock.c.material_id, item.c.product_variant_id, stock.c.on_hand, stock.c.reserved
            )
            .select_from(stock.outerjoin(item, item.c.id == stock.c.inventory_item_id))
            .where(stock.c.merchant_id == world.shop.merchant_id)
        )
        return {
            (
                world.materials.index(r.material_id)
                if r.material_id is not None
                else r.product_variant_id
            ): (r.on_hand, r.reserved)
            for r in rows
        }
