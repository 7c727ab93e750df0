"""A café's catalogue, a PAYMENT_SUCCESS stream over it, and what the stocks must end at.

The expected stocks are computed here from the events alone (plain Decimal sums over
the recipes this module wrote), not with the service's code, so a bug there cannot
hide in the expectation.
"""

from __future__ import annotations

import os
import random
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.domain.enums import RecipeOwner, ReferenceType
from app.domain.sale import PaymentSucceeded, SaleItem, SaleModifier
from tests.consumers.events import payment_record
from tests.consumers.kafka_helpers import Record
from tests.services.sales_builders import Shop, a_material, a_shop, an_item, set_recipe

Sessions = async_sessionmaker[AsyncSession]
INITIAL_ON_HAND = Decimal(100_000)
# Catalogue size: enough stocks that partitions interleave, few enough that rows collide.
TRACKED_ITEMS = 6
UNTRACKED_ITEMS = 4
MATERIALS = 8
MODIFIER_OPTIONS = 3
ITEM_QUANTITIES = ("1", "1", "1", "2", "3", "0.5")


@dataclass(frozen=True)
class Catalogue:
    shop: Shop
    tracked: dict[uuid.UUID, uuid.UUID]  # product variant → inventory item
    untracked: tuple[uuid.UUID, ...]
    materials: tuple[uuid.UUID, ...]
    recipes: dict[uuid.UUID, dict[uuid.UUID, Decimal]]  # variant → material → per unit
    modifier_recipes: dict[uuid.UUID, dict[uuid.UUID, Decimal]]  # option → material → per unit

    @property
    def variants(self) -> list[uuid.UUID]:
        return [*self.tracked, *self.untracked]


@dataclass(frozen=True)
class Expected:
    """Stock quantities by (kind, id) and ledger rows by sale order, derived from the events."""

    product_on_hand: dict[uuid.UUID, Decimal]  # inventory item → on hand
    material_reserved: dict[uuid.UUID, Decimal]  # material → reserved
    rows_per_order: dict[uuid.UUID, int]


def run_seed() -> int:
    """RELIABILITY_SEED replays a run; otherwise a fresh seed, recorded in the report."""
    configured = os.environ.get("RELIABILITY_SEED")
    return int(configured) if configured else random.SystemRandom().randrange(2**32)


async def open_cafe(sessions: Sessions, rng: random.Random) -> Catalogue:
    """Tracked and untracked products with recipes, modifiers with recipes, stocked materials."""
    shop = await a_shop(sessions)
    materials = tuple(
        [await a_material(sessions, shop, str(INITIAL_ON_HAND)) for _ in range(MATERIALS)]
    )
    tracked: dict[uuid.UUID, uuid.UUID] = {}
    for _ in range(TRACKED_ITEMS):
        item_id, variant = await an_item(sessions, shop, tracked=True, on_hand=str(INITIAL_ON_HAND))
        tracked[variant] = item_id
    untracked = tuple(
        [(await an_item(sessions, shop, tracked=False))[1] for _ in range(UNTRACKED_ITEMS)]
    )
    recipes: dict[uuid.UUID, dict[uuid.UUID, Decimal]] = {}
    for variant in [*tracked, *untracked]:
        lines = _recipe(rng, materials)
        recipes[variant] = lines
        await set_recipe(sessions, shop, RecipeOwner.PRODUCT_VARIANT, variant, _text(lines))
    modifier_recipes: dict[uuid.UUID, dict[uuid.UUID, Decimal]] = {}
    for _ in range(MODIFIER_OPTIONS):
        option, lines = uuid.uuid4(), _recipe(rng, materials, most=2)
        modifier_recipes[option] = lines
        await set_recipe(sessions, shop, RecipeOwner.MODIFIER_OPTION, option, _text(lines))
    return Catalogue(shop, tracked, untracked, materials, recipes, modifier_recipes)


def _recipe(
    rng: random.Random, materials: Sequence[uuid.UUID], most: int = 3
) -> dict[uuid.UUID, Decimal]:
    chosen = rng.sample(list(materials), rng.randint(1, most))
    return {m: Decimal(rng.choice(["18", "7.5", "0.25", "120", "1"])) for m in chosen}


def _text(lines: dict[uuid.UUID, Decimal]) -> dict[uuid.UUID, str]:
    return {m: str(q) for m, q in lines.items()}


def sale_orders(catalogue: Catalogue, count: int, rng: random.Random) -> list[PaymentSucceeded]:
    """`count` distinct paid sale orders of 1-3 lines, some with modifiers."""
    options = list(catalogue.modifier_recipes)
    orders = []
    for _ in range(count):
        lines = []
        for _ in range(rng.randint(1, 3)):
            modifiers = tuple(
                SaleModifier(option, Decimal(rng.choice(["1", "2"])))
                for option in rng.sample(options, rng.choice([0, 0, 1, 2]))
            )
            lines.append(
                SaleItem(
                    sale_order_item_id=uuid.uuid4(),
                    product_variant_id=rng.choice(catalogue.variants),
                    quantity=Decimal(rng.choice(ITEM_QUANTITIES)),
                    modifiers=modifiers,
                )
            )
        orders.append(
            PaymentSucceeded(
                event_id=uuid.uuid4(),
                merchant_id=catalogue.shop.merchant_id,
                location_id=catalogue.shop.location_id,
                sale_order_id=uuid.uuid4(),
                items=tuple(lines),
                occurred_at=datetime.now(UTC),
                payment_id=f"pay_{rng.randrange(10**9)}",
            )
        )
    return orders


def with_resends(
    orders: Sequence[PaymentSucceeded], total: int, rng: random.Random
) -> list[PaymentSucceeded]:
    """A stream of `total` events: every order once, the rest re-sends of earlier ones.

    Sale publishes at least once: a re-send carries the same sale order and items,
    half of them under a new event id (a retried publish) and half verbatim.
    """
    stream = list(orders)
    while len(stream) < total:
        position = rng.randrange(1, len(stream) + 1)
        original = rng.choice(stream[:position])
        copy = replace(original, event_id=uuid.uuid4()) if rng.random() < 0.5 else original
        stream.insert(position, copy)
    return stream


def records(stream: Iterable[PaymentSucceeded]) -> list[Record]:
    return [payment_record(payment) for payment in stream]


def expected(catalogue: Catalogue, orders: Sequence[PaymentSucceeded]) -> Expected:
    """What applying each distinct sale order exactly once does to the stocks."""
    on_hand = dict.fromkeys(catalogue.tracked.values(), INITIAL_ON_HAND)
    reserved = dict.fromkeys(catalogue.materials, Decimal(0))
    rows: dict[uuid.UUID, int] = {}
    for order in {o.sale_order_id: o for o in orders}.values():
        products: set[uuid.UUID] = set()
        materials: set[uuid.UUID] = set()
        for line in order.items:
            item_id = catalogue.tracked.get(line.product_variant_id)
            if item_id is not None:
                on_hand[item_id] -= line.quantity
                products.add(item_id)
            for material, per_unit in catalogue.recipes[line.product_variant_id].items():
                reserved[material] += line.quantity * per_unit
                materials.add(material)
            for modifier in line.modifiers:
                recipe = catalogue.modifier_recipes[modifier.modifier_option_id]
                for material, per_unit in recipe.items():
                    reserved[material] += line.quantity * modifier.quantity * per_unit
                    materials.add(material)
        rows[order.sale_order_id] = len(products) + len(materials)
    return Expected(on_hand, reserved, rows)


@dataclass(frozen=True)
class Observed:
    product_on_hand: dict[uuid.UUID, Decimal]
    material_reserved: dict[uuid.UUID, Decimal]
    rows_per_order: Counter[uuid.UUID]


async def observe(sessions: Sessions, catalogue: Catalogue) -> Observed:
    stock, ledger = t.stock, t.stock_movement
    merchant = catalogue.shop.merchant_id
    async with sessions() as session:
        stocks = (
            await session.execute(
                select(
                    stock.c.inventory_item_id,
                    stock.c.material_id,
                    stock.c.on_hand,
                    stock.c.reserved,
                ).where(stock.c.merchant_id == merchant)
            )
        ).all()
        rows = (
            await session.execute(
                select(ledger.c.reference_id, func.count())
                .where(
                    ledger.c.merchant_id == merchant,
                    ledger.c.reference_type == ReferenceType.SALE_ORDER,
                )
                .group_by(ledger.c.reference_id)
            )
        ).all()
    return Observed(
        product_on_hand={s.inventory_item_id: s.on_hand for s in stocks if s.inventory_item_id},
        material_reserved={s.material_id: s.reserved for s in stocks if s.material_id},
        rows_per_order=Counter({uuid.UUID(r[0]): int(r[1]) for r in rows}),
    )


async def orders_applied(sessions: Sessions, merchant_id: uuid.UUID) -> int:
    """Distinct sale orders with ledger rows: the stream's progress, read from the database."""
    ledger = t.stock_movement
    async with sessions() as session:
        statement = select(func.count(func.distinct(ledger.c.reference_id))).where(
            ledger.c.merchant_id == merchant_id,
            ledger.c.reference_type == ReferenceType.SALE_ORDER,
        )
        return int((await session.execute(statement)).scalar_one())


@dataclass(frozen=True)
class Tally:
    lost: int  # sale orders with fewer ledger rows than they must have
    duplicated: int  # sale orders with more
    wrong_stocks: dict[str, tuple[Decimal, Decimal]]  # stock → (expected, observed)


def tally(want: Expected, seen: Observed) -> Tally:
    lost = sum(1 for o, n in want.rows_per_order.items() if seen.rows_per_order.get(o, 0) < n)
    duplicated = sum(1 for o, n in seen.rows_per_order.items() if n > want.rows_per_order.get(o, 0))
    wrong: dict[str, tuple[Decimal, Decimal]] = {}
    for item, value in want.product_on_hand.items():
        got = seen.product_on_hand.get(item, Decimal(0))
        if got != value:
            wrong[f"item {item} on hand"] = (value, got)
    for material, value in want.material_reserved.items():
        got = seen.material_reserved.get(material, Decimal(0))
        if got != value:
            wrong[f"material {material} reserved"] = (value, got)
    return Tally(lost, duplicated, wrong)
