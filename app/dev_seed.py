"""The demo merchant of `inventory dev`: a small café, seeded through the service functions.

Milk comes in cases of 12 one-litre bottles (own units), cold brew concentrate is a prep
item made from beans and water, and "Cold brew on ice" is sold from it. Its purchasing
(a dairy that delivers by the case, a draft order, par levels) is app/dev_purchasing.py.

Seeding is idempotent: ids that are ours to choose (merchant, product variants,
modifier options) are fixed, rows the services create are looked up by their
natural key (location code, material SKU, vendor name, PO number) before being
created, and opening stock goes through keyed adjustments the ledger refuses to
apply twice. A second start changes nothing, and what the developer changed
(stock, recipes) is left as it is.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, select

from app.db import tables as t
from app.db.unit_of_work import UnitOfWork
from app.dev_catalog import (
    DEMO_MERCHANT_ID,
    KIOSK,
    MAIN,
    MATERIALS,
    MODIFIERS,
    PRODUCTS,
    DemoMaterial,
    DemoProduct,
)
from app.dev_count_seed import seed_count_session
from app.dev_purchasing import seed_purchasing
from app.domain.enums import ItemType, RecipeOwner
from app.services.context import Actor
from app.services.inventory_items import InitialStock, ProductVariantUpsert, ensure_inventory_item
from app.services.item_units import ItemUnitInput
from app.services.locations import create_location, update_location
from app.services.materials import create_material
from app.services.merchants import MerchantChange, ensure_merchant
from app.services.prep_recipes import PrepRecipeInput, set_prep_recipe
from app.services.purchase_orders import PurchaseOrderLineInput, create_purchase_order
from app.services.recipes import RecipeLineInput, set_modifier_recipe, set_recipe
from app.services.stock_adjustments import adjust_stock
from app.services.stock_refs import StockRef
from app.services.vendors import create_vendor

SEED_ACTOR = Actor(DEMO_MERCHANT_ID, label="dev-seed")
PURCHASE_ORDER_NUMBER = "DEMO-0001"
VENDOR_NAME = "Harbour Roastery"
CURRENCY = "EUR"


@dataclass(frozen=True)
class DemoMerchant:
    """The ids of the seeded demo data."""

    merchant_id: uuid.UUID
    locations: dict[str, uuid.UUID]  # MAIN / KIOSK → location id
    materials: dict[str, uuid.UUID]  # material key → material id
    items: dict[str, uuid.UUID]  # product key → inventory item id
    vendor_id: uuid.UUID
    purchase_order_id: uuid.UUID

    def as_json(self) -> dict[str, Any]:
        return {
            "merchantId": str(self.merchant_id),
            "locations": {code: str(i) for code, i in self.locations.items()},
            "materials": {key: str(i) for key, i in self.materials.items()},
            "inventoryItems": {key: str(i) for key, i in self.items.items()},
            "vendorId": str(self.vendor_id),
            "purchaseOrderId": str(self.purchase_order_id),
        }


async def seed_demo(sessions: UnitOfWork) -> DemoMerchant:
    """Create the demo merchant's locations, materials, products, recipes, vendor and open PO.

    Safe to run on every start: what exists is found and kept, only what is missing is
    created (see the module docstring).
    """
    locations = await _seed_locations(sessions)
    materials = {m.key: await _seed_material(sessions, m, locations) for m in MATERIALS}
    for material in MATERIALS:
        prep = material.prep
        owner = materials[material.key]
        if prep is not None and not await _has_recipe(sessions, RecipeOwner.PREP_ITEM, owner):
            lines = [RecipeLineInput(materials[k], q, u) for k, (q, u) in prep.lines.items()]
            await set_prep_recipe(
                sessions,
                SEED_ACTOR,
                owner,
                PrepRecipeInput(prep.yield_quantity, lines, prep.yield_unit),
            )
    items = {p.key: await _seed_product(sessions, p, locations, materials) for p in PRODUCTS}
    for modifier in MODIFIERS:
        if not await _has_recipe(sessions, RecipeOwner.MODIFIER_OPTION, modifier.option_id):
            await set_modifier_recipe(
                sessions,
                SEED_ACTOR,
                modifier_option_id=modifier.option_id,
                lines=_recipe_lines(modifier.recipe, materials),
            )
    vendor_id = await _seed_vendor(sessions)
    purchase_order_id = await _seed_purchase_order(sessions, locations[MAIN], vendor_id, materials)
    await seed_count_session(sessions, SEED_ACTOR, locations[MAIN], materials)
    await seed_purchasing(sessions, SEED_ACTOR, _find, locations[MAIN], vendor_id, materials)
    return DemoMerchant(DEMO_MERCHANT_ID, locations, materials, items, vendor_id, purchase_order_id)


async def _seed_locations(sessions: UnitOfWork) -> dict[str, uuid.UUID]:
    outcome = await ensure_merchant(
        sessions,
        MerchantChange(DEMO_MERCHANT_ID, "Demo Café", "ACTIVE", CURRENCY, "Europe/Berlin", None),
    )
    main = await _find(sessions, t.location, t.location.c.code, MAIN)
    if main is None:
        assert outcome.default_location_id is not None
        main = outcome.default_location_id
        await update_location(
            sessions, SEED_ACTOR, main, name="Main Street", code=MAIN, address="1 Main Street"
        )
    kiosk = await _find(sessions, t.location, t.location.c.code, KIOSK)
    if kiosk is None:
        created = await create_location(
            sessions,
            SEED_ACTOR,
            name="Harbour Kiosk",
            code=KIOSK,
            address="Pier 4",
            idempotency_key="demo-seed:location:kiosk",
        )
        kiosk = created.location_id
    return {MAIN: main, KIOSK: kiosk}


async def _seed_material(
    sessions: UnitOfWork,
    material: DemoMaterial,
    locations: dict[str, uuid.UUID],
) -> uuid.UUID:
    sku = f"DEMO-{material.key.upper()}"
    material_id = await _find(sessions, t.material, t.material.c.sku, sku)
    if material_id is None:
        created = await create_material(
            sessions,
            SEED_ACTOR,
            name=material.name,
            unit=material.unit,
            sku=sku,
            low_stock_threshold=material.low_stock_threshold,
            units=[ItemUnitInput(n, q, u) for n, q, u in material.units],
            idempotency_key=f"demo-seed:material:{material.key}",
        )
        material_id = created.material_id
    for code, quantity in material.stock.items():
        # Keyed: the ledger's unique reference makes a second start a no-op.
        await adjust_stock(
            sessions,
            SEED_ACTOR,
            ref=StockRef(
                location_id=locations[code], item_type=ItemType.MATERIAL, item_id=material_id
            ),
            delta=quantity,
            reason="demo opening stock",
            idempotency_key=f"demo-seed:opening-stock:{material.key}:{code}",
        )
    return material_id


async def _seed_product(
    sessions: UnitOfWork,
    product: DemoProduct,
    locations: dict[str, uuid.UUID],
    materials: dict[str, uuid.UUID],
) -> uuid.UUID:
    result = await ensure_inventory_item(
        sessions,
        ProductVariantUpsert(
            DEMO_MERCHANT_ID,
            product.variant_id,
            name=product.name,
            sku=f"DEMO-{product.key.upper()}",
            track_inventory=product.tracked,
            unit="pcs",
        ),
        actor=SEED_ACTOR,
        # Applied only when this call creates the item.
        initial_stocks=[InitialStock(locations[c], q) for c, q in product.stock.items()],
    )
    if product.recipe and not await _has_recipe(
        sessions, RecipeOwner.PRODUCT_VARIANT, product.variant_id
    ):
        await set_recipe(
            sessions,
            SEED_ACTOR,
            product_variant_id=product.variant_id,
            lines=_recipe_lines(product.recipe, materials),
        )
    return result.item_id


async def _seed_vendor(sessions: UnitOfWork) -> uuid.UUID:
    vendor_id = await _find(sessions, t.vendor, t.vendor.c.name, VENDOR_NAME)
    if vendor_id is not None:
        return vendor_id
    created = await create_vendor(
        sessions,
        SEED_ACTOR,
        name=VENDOR_NAME,
        email="orders@harbour-roastery.example",
        phone="+49 30 1234567",
        address="Speicherstraße 7, Hamburg",
        idempotency_key="demo-seed:vendor",
    )
    return created.vendor_id


async def _seed_purchase_order(
    sessions: UnitOfWork,
    location_id: uuid.UUID,
    vendor_id: uuid.UUID,
    materials: dict[str, uuid.UUID],
) -> uuid.UUID:
    existing = await _find(
        sessions, t.purchase_order, t.purchase_order.c.number, PURCHASE_ORDER_NUMBER
    )
    if existing is not None:
        return existing
    lines = [
        PurchaseOrderLineInput(
            ItemType.MATERIAL, materials["beans"], Decimal("5000"), Decimal("0.024")
        ),
        PurchaseOrderLineInput(
            ItemType.MATERIAL, materials["oat"], Decimal("6000"), Decimal("0.0021")
        ),
        PurchaseOrderLineInput(
            ItemType.MATERIAL, materials["cup"], Decimal("500"), Decimal("0.08")
        ),
        # Ordered by the case: 2 cases of 12 one-litre bottles at 14.40 a case.
        PurchaseOrderLineInput(
            ItemType.MATERIAL, materials["milk"], Decimal("2"), Decimal("14.40"), unit="case"
        ),
    ]
    created = await create_purchase_order(
        sessions,
        SEED_ACTOR,
        location_id=location_id,
        vendor_id=vendor_id,
        currency=CURRENCY,
        lines=lines,
        number=PURCHASE_ORDER_NUMBER,
        idempotency_key="demo-seed:purchase-order",
    )
    return created.purchase_order_id


def _recipe_lines(
    recipe: dict[str, Decimal], materials: dict[str, uuid.UUID]
) -> list[RecipeLineInput]:
    return [RecipeLineInput(materials[key], quantity) for key, quantity in recipe.items()]


async def _find(sessions: UnitOfWork, table: Table, column: Any, value: str) -> uuid.UUID | None:
    """The demo merchant's row whose `column` equals `value` (the oldest, if several)."""
    async with sessions() as session:
        found: uuid.UUID | None = (
            await session.execute(
                select(table.c.id)
                .where(table.c.merchant_id == DEMO_MERCHANT_ID, column == value)
                .order_by(table.c.id)
                .limit(1)
            )
        ).scalar_one_or_none()
    return found


async def _has_recipe(sessions: UnitOfWork, owner_type: RecipeOwner, owner_id: uuid.UUID) -> bool:
    recipe = t.recipe
    async with sessions() as session:
        found = await session.execute(
            select(recipe.c.id).where(
                recipe.c.merchant_id == DEMO_MERCHANT_ID,
                recipe.c.owner_type == owner_type,
                recipe.c.owner_id == owner_id,
            )
        )
        return found.first() is not None
