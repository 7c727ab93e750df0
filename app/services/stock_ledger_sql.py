"""The ledger's statements, built once: each compiles once and is reused from the cache.

Values arrive as bound parameters only (lists as expanding ones), so a statement's
shape never depends on the call; SQLAlchemy then compiles it once per process.
"""

from __future__ import annotations

from sqlalchemy import and_, bindparam, delete, func, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.db import tables as t

_stock, _item, _material, _ledger = t.stock, t.inventory_item, t.material, t.stock_movement

# Stocks of one merchant by (location, inventory item) and (location, material) pairs.
_WANTED = and_(
    _stock.c.merchant_id == bindparam("merchant_id"),
    or_(
        tuple_(_stock.c.location_id, _stock.c.inventory_item_id).in_(
            bindparam("products", expanding=True)
        ),
        tuple_(_stock.c.location_id, _stock.c.material_id).in_(
            bindparam("materials", expanding=True)
        ),
    ),
)

LOCK = (
    select(
        _stock.c.id,
        _stock.c.merchant_id,
        _stock.c.location_id,
        _stock.c.item_type,
        _stock.c.inventory_item_id,
        _stock.c.material_id,
        _stock.c.on_hand,
        _stock.c.reserved,
        _stock.c.version,
        _stock.c.low_stock_threshold,
        _item.c.unit.label("item_unit"),
        _material.c.unit.label("material_unit"),
        _item.c.product_variant_id,
    )
    .select_from(
        _stock.outerjoin(_item, _item.c.id == _stock.c.inventory_item_id).outerjoin(
            _material, _material.c.id == _stock.c.material_id
        )
    )
    .where(_WANTED)
    .order_by(_stock.c.id)
    .with_for_update(of=_stock)
)

# LOCK, but only when all `expected` stocks exist; otherwise no row and no lock.
LOCK_IF_ALL_EXIST = LOCK.where(
    select(func.count()).select_from(_stock).where(_WANTED).scalar_subquery()
    == bindparam("expected")
)

# The parameter naming a new stock's material, which also looks up its default threshold.
MATERIAL_REF = "material_ref"
_material_ref = bindparam(MATERIAL_REF, type_=_stock.c.material_id.type)

# Executed with one parameter set per stock, in key order.
INSERT_STOCK = (
    pg_insert(_stock)
    .values(
        material_id=_material_ref,
        low_stock_threshold=select(_material.c.default_low_stock_threshold)
        .where(_material.c.id == _material_ref)
        .scalar_subquery(),
    )
    .on_conflict_do_nothing()
)

# Returns the ids written: a key already in the ledger writes nothing.
INSERT_MOVEMENTS = (
    pg_insert(_ledger)
    .on_conflict_do_nothing(
        index_elements=[
            _ledger.c.merchant_id,
            _ledger.c.reference_type,
            _ledger.c.reference_id,
            _ledger.c.stock_id,
            _ledger.c.type,
        ]
    )
    .returning(_ledger.c.id)
)

DELETE_MOVEMENTS = delete(_ledger).where(_ledger.c.id.in_(bindparam("ids", expanding=True)))

UPDATE_STOCK = (
    update(_stock)
    .where(_stock.c.id == bindparam("stock_id"))
    .values(
        on_hand=bindparam("on_hand"),
        reserved=bindparam("reserved"),
        version=bindparam("version"),
        updated_at=bindparam("updated_at"),
    )
)
