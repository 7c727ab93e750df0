"""The ledger's statements, built once: each compiles once and is reused from the cache.

Values arrive as bound parameters only (lists as expanding ones), so a statement's
shape never depends on the call; SQLAlchemy then compiles it once per process.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Integer,
    Numeric,
    Select,
    Text,
    any_,
    bindparam,
    cast,
    column,
    delete,
    func,
    insert,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.sql.selectable import TableValuedAlias
from sqlalchemy.types import TypeEngine

from app.db import tables as t
from app.db.driver import DriverStatement

_stock, _item, _material, _ledger = t.stock, t.inventory_item, t.material, t.stock_movement
_outbox = t.outbox_event

_uuid = PG_UUID(as_uuid=True)
_uuids = ARRAY(_uuid)


def json_rows(name: str, **columns: TypeEngine[Any]) -> TableValuedAlias:
    """Rows of any count from one JSON array parameter of objects: one statement shape.

    JSON rather than one array per column: the driver encodes array elements one by
    one, at a cost that outweighs the rest of the statement, where JSON is one string.
    """
    return (
        func.jsonb_to_recordset(bindparam(name, type_=JSONB))
        .table_valued(*(column(c, type_) for c, type_ in columns.items()))
        .render_derived(name=name, with_types=True)
    )


def _ids_of(name: str, item_column: str) -> Select[Any]:
    """Ids of the stocks named by (merchant, location, item) triples of one JSON array
    parameter: one shape for any count and any number of merchants (a batch of payments
    spans several). One probe of the unique key per triple, whatever the table's size:
    LIMIT 1 (the key is unique) keeps the lateral from being flattened into a join the
    planner might hash over a scan of every stock."""
    keys = json_rows(name, merchant_id=_uuid, location_id=_uuid, item_id=_uuid)
    held = (
        select(_stock.c.id)
        .where(
            _stock.c.merchant_id == keys.c.merchant_id,
            _stock.c.location_id == keys.c.location_id,
            _stock.c[item_column] == keys.c.item_id,
        )
        .limit(1)
        .lateral(f"{name}_stock")
    )
    return select(held.c.id).select_from(keys.join(held, true()))


# Stocks by (merchant, location, inventory item) and (merchant, location, material):
# the two unique keys of the stock table. A CTE: found once, read twice below.
_wanted = union_all(
    _ids_of("product_keys", "inventory_item_id"), _ids_of("material_keys", "material_id")
).cte("wanted")
_WANTED = _stock.c.id.in_(select(_wanted.c.id))

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
        _stock.c.par_level,
        _stock.c.reorder_point,
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
    select(func.count()).select_from(_wanted).scalar_subquery() == bindparam("expected")
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

DELETE_MOVEMENTS = delete(_ledger).where(_ledger.c.id == any_(bindparam("ids", type_=_uuids)))


# Named apart from every column: a parameter named like a column of an UPDATE's table
# would be taken as a value to SET.
_now = bindparam("batch_now", type_=DateTime(timezone=True))

# Merchant and time per row: one statement writes a batch of payments of several
# merchants, each step of it at its own time.
_moves = json_rows(
    "moves",
    id=_uuid,
    merchant_id=_uuid,
    stock_id=_uuid,
    location_id=_uuid,
    type=Text(),
    reference_type=Text(),
    reference_id=Text(),
    delta_on_hand=Numeric(),
    delta_reserved=Numeric(),
    on_hand_after=Numeric(),
    reserved_after=Numeric(),
    reason=Text(),
    went_negative=Boolean(),
    recipe_snapshot=Text(),  # JSON text: None is JSON null, as the JSONB column type stores it
    occurred_at=DateTime(timezone=True),
    entered_quantity=Numeric(),
    entered_unit=Text(),
    sold_at=DateTime(timezone=True),
    occurrence=Integer(),
)
_moved = (
    pg_insert(_ledger)
    .from_select(
        [
            "id",
            "merchant_id",
            "stock_id",
            "location_id",
            "type",
            "reference_type",
            "reference_id",
            "delta_on_hand",
            "delta_reserved",
            "on_hand_after",
            "reserved_after",
            "reason",
            "actor",
            "went_negative",
            "recipe_snapshot",
            "occurred_at",
            "entered_quantity",
            "entered_unit",
            "sold_at",
            "occurrence",
        ],
        select(
            _moves.c.id,
            _moves.c.merchant_id,
            _moves.c.stock_id,
            _moves.c.location_id,
            _moves.c.type,
            _moves.c.reference_type,
            _moves.c.reference_id,
            _moves.c.delta_on_hand,
            _moves.c.delta_reserved,
            _moves.c.on_hand_after,
            _moves.c.reserved_after,
            _moves.c.reason,
            bindparam("batch_actor", type_=Text()),
            _moves.c.went_negative,
            cast(_moves.c.recipe_snapshot, JSONB),
            _moves.c.occurred_at,
            _moves.c.entered_quantity,
            _moves.c.entered_unit,
            _moves.c.sold_at,
            _moves.c.occurrence,
        ),
    )
    .on_conflict_do_nothing(
        index_elements=[
            _ledger.c.merchant_id,
            _ledger.c.reference_type,
            _ledger.c.reference_id,
            _ledger.c.stock_id,
            _ledger.c.type,
            _ledger.c.occurrence,
        ]
    )
    .returning(_ledger.c.id)
    .cte("moved")
)
# Stocks and events change only when every movement was written.
_all_moved = select(func.count()).select_from(_moved).scalar_subquery() == bindparam(
    "batch_expected", type_=Integer()
)

_stocks = json_rows("stocks", id=_uuid, on_hand=Numeric(), reserved=Numeric(), version=Integer())
_updated = (
    update(_stock)
    .where(_stock.c.id == _stocks.c.id, _all_moved)
    .values(
        on_hand=_stocks.c.on_hand,
        reserved=_stocks.c.reserved,
        version=_stocks.c.version,
        updated_at=_now,
    )
    .cte("updated")
)

_events = json_rows(
    "events",
    n=Integer(),
    id=_uuid,
    merchant_id=_uuid,
    topic=Text(),
    key=Text(),
    event_type=Text(),
    payload=JSONB(),
    request_id=Text(),
)
_staged = (
    insert(_outbox)
    .from_select(
        ["id", "merchant_id", "topic", "key", "event_type", "payload", "request_id"],
        select(
            _events.c.id,
            _events.c.merchant_id,
            _events.c.topic,
            _events.c.key,
            _events.c.event_type,
            _events.c.payload,
            func.coalesce(_events.c.request_id, bindparam("batch_request_id", type_=Text())),
        )
        .where(_all_moved)
        # In the given order: the relay publishes by `seq`, and a key's events in order.
        .order_by(_events.c.n),
    )
    .cte("staged")
)

# Ledger rows, stock quantities and outbox rows of one batch (of any merchants), in one
# round trip.
# Returns the ids of the movements written: fewer than expected (a key was in the
# ledger already) and nothing else changed.
WRITE = select(_moved.c.id).add_cte(_updated, _staged)

# The same statements for the transaction's driver connection (`app.db.driver`).
LOCK_DRIVER = DriverStatement(LOCK)
LOCK_IF_ALL_EXIST_DRIVER = DriverStatement(LOCK_IF_ALL_EXIST)
DELETE_MOVEMENTS_DRIVER = DriverStatement(DELETE_MOVEMENTS)
INSERT_STOCK_DRIVER = DriverStatement(
    INSERT_STOCK,
    column_keys=[
        "id",
        "merchant_id",
        "location_id",
        "item_type",
        "inventory_item_id",
        MATERIAL_REF,
        "on_hand",
        "reserved",
        "version",
    ],
)
WRITE_DRIVER = DriverStatement(WRITE)
