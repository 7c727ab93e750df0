"""The ceiling for the payment consumer: the same SQL work per payment on raw asyncpg.

Per event and in one transaction it issues the statements `apply_payment` issues for a
fresh payment: BEGIN with the advisory lock (one round trip); one statement for the
merchant row, the location check, the known items, the recipe lines and whether the
sale is recorded or kitchen effects wait; the stock locks (taken only if every stock
exists, else the missing ones are created and all locked); one statement for the
ledger rows, stock updates and outbox rows; COMMIT. No ORM, no schema validation, no
Kafka: what the database alone allows.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from app.db.models.base import uuid7

ACTOR = "bench:raw"


def _values(rows: int, columns: int, start: int = 1, row_sql: str | None = None) -> str:
    parts = []
    for r in range(rows):
        first = start + r * columns
        if row_sql is None:
            parts.append("(" + ", ".join(f"${first + c}" for c in range(columns)) + ")")
        else:
            parts.append(row_sql.format(*range(first, first + columns)))
    return ", ".join(parts)


_STOCK_ROW = (
    "(${0}, ${1}, ${2}, ${3}, ${4}, ${5}, ${6}, ${7}, "
    "(SELECT default_low_stock_threshold FROM material WHERE id = ${8}), ${9})"
)


_LOOK_AROUND = """
WITH merchant_row AS (INSERT INTO merchant (id) VALUES ($1) ON CONFLICT DO NOTHING)
SELECT
    EXISTS (SELECT 1 FROM location WHERE merchant_id = $1 AND id = $2) AS location_found,
    EXISTS (
        SELECT 1 FROM stock_movement WHERE merchant_id = $1
        AND reference_type = 'SALE_ORDER' AND reference_id = $3
        AND type IN ('SALE', 'SALE_RESERVATION')
    ) AS paid,
    EXISTS (
        SELECT 1 FROM kitchen_ticket_effect
        WHERE merchant_id = $1 AND sale_order_id = $4 AND applied IS false
    ) AS pending_effects,
    (
        SELECT json_agg(json_build_array(product_variant_id, id, track_inventory))
        FROM inventory_item WHERE merchant_id = $1 AND product_variant_id = ANY($5::uuid[])
    ) AS items,
    (
        SELECT json_agg(
            json_build_array(r.owner_type, r.owner_id, l.id, l.material_id, l.quantity::text)
            ORDER BY r.owner_id, l.position, l.id
        )
        FROM recipe r JOIN recipe_line l ON l.recipe_id = r.id
        WHERE r.merchant_id = $1 AND l.merchant_id = $1 AND r.owner_type = 'PRODUCT_VARIANT'
        AND r.owner_id = ANY($5::uuid[])
    ) AS recipe_lines
"""

# Rows as one JSON array each: asyncpg encodes arrays element by element, slowly.
_WRITE = """
WITH moved AS (
    INSERT INTO stock_movement (id, merchant_id, stock_id, location_id, type, reference_type,
        reference_id, delta_on_hand, delta_reserved, on_hand_after, reserved_after, reason,
        actor, went_negative, recipe_snapshot, occurred_at)
    SELECT m.id, $1, m.stock_id, m.location_id, m.type, 'SALE_ORDER', $2, m.d_on_hand,
        m.d_reserved, m.on_hand, m.reserved, NULL, $3, m.negative, m.snapshot::jsonb, $4
    FROM jsonb_to_recordset($5::jsonb) AS m(id uuid, stock_id uuid, location_id uuid,
        type text, d_on_hand numeric, d_reserved numeric, on_hand numeric, reserved numeric,
        negative bool, snapshot text)
    ON CONFLICT (merchant_id, reference_type, reference_id, stock_id, type) DO NOTHING
    RETURNING id
), updated AS (
    UPDATE stock SET on_hand = s.on_hand, reserved = s.reserved, version = s.version,
        updated_at = $4
    FROM jsonb_to_recordset($6::jsonb) AS s(id uuid, on_hand numeric, reserved numeric,
        version int)
    WHERE stock.id = s.id AND (SELECT count(*) FROM moved) = $7
), staged AS (
    INSERT INTO outbox_event (id, merchant_id, topic, key, event_type, payload)
    SELECT o.id, $1, o.topic, o.key, o.topic, o.payload
    FROM jsonb_to_recordset($8::jsonb) AS o(n int, id uuid, topic text, key text, payload jsonb)
    WHERE (SELECT count(*) FROM moved) = $7
    ORDER BY o.n
)
SELECT count(*) FROM moved
"""


async def apply_raw_payment(conn: asyncpg.Connection, event: dict[str, Any]) -> int:
    merchant = uuid.UUID(event["merchantId"])
    location = uuid.UUID(event["locationId"])
    order = event["saleOrderId"]
    sold = [
        (uuid.UUID(i["saleOrderItemId"]), uuid.UUID(i["productVariantId"]), Decimal(i["quantity"]))
        for i in event["items"]
    ]
    variants = sorted({v for _, v, _ in sold})
    # BEGIN and the sale order's lock in one round trip, as `apply_payment` does.
    await conn.execute(
        "BEGIN; SELECT pg_advisory_xact_lock(hashtextextended("
        f"'sale-order:{merchant}:{uuid.UUID(order)}', 0))"
    )
    try:
        around = await conn.fetchrow(
            _LOOK_AROUND, merchant, location, order, uuid.UUID(order), variants
        )
        items = {
            uuid.UUID(variant): (uuid.UUID(item), tracked)
            for variant, item, tracked in json.loads(around["items"] or "[]")
        }
        recipes = [
            {
                "owner_id": uuid.UUID(owner),
                "id": uuid.UUID(line),
                "material_id": uuid.UUID(material),
                "quantity": Decimal(quantity),
            }
            for _, owner, line, material, quantity in json.loads(around["recipe_lines"] or "[]")
        ]
        moves = _moves(location, order, sold, items, recipes)
        stocks = await _lock_stocks(conn, merchant, location, moves)
        written = await _apply(conn, merchant, order, moves, stocks)
        await conn.execute("COMMIT")
        return written
    finally:
        if conn.is_in_transaction():
            await conn.execute("ROLLBACK")


def _moves(
    location: uuid.UUID,
    order: str,
    sold: Sequence[tuple[uuid.UUID, uuid.UUID, Decimal]],
    items: dict[uuid.UUID, tuple[uuid.UUID, bool]],
    recipes: Sequence[dict[str, Any]],
) -> list[tuple[str, uuid.UUID, str, Decimal, Decimal, str | None]]:
    """(item type, item id, movement type, delta on hand, delta reserved, snapshot json)."""
    moves: list[tuple[str, uuid.UUID, str, Decimal, Decimal, str | None]] = []
    for _, variant, quantity in sold:
        item_id, tracked = items[variant]
        if tracked:
            moves.append(("PRODUCT", item_id, "SALE", -quantity, Decimal(0), None))
    reserved: dict[uuid.UUID, Decimal] = {}
    lines: dict[uuid.UUID, list[dict[str, str]]] = {}
    for item_id, variant, quantity in sold:
        for line in (r for r in recipes if r["owner_id"] == variant):
            material = line["material_id"]
            reserved[material] = reserved.get(material, Decimal(0)) + quantity * line["quantity"]
            lines.setdefault(material, []).append(
                {"saleOrderItemId": str(item_id), "recipeLineId": str(line["id"])}
            )
    for material, amount in sorted(reserved.items()):
        snapshot = json.dumps({"version": 1, "materialId": str(material), "items": lines[material]})
        moves.append(("MATERIAL", material, "SALE_RESERVATION", Decimal(0), amount, snapshot))
    return moves


_LOCKED = (
    "SELECT s.id, s.location_id, s.item_type, s.inventory_item_id, s.material_id, "
    "s.on_hand, s.reserved, s.version, s.low_stock_threshold, i.unit AS item_unit, "
    "m.unit AS material_unit, i.product_variant_id FROM stock s "
    "LEFT JOIN inventory_item i ON i.id = s.inventory_item_id "
    "LEFT JOIN material m ON m.id = s.material_id "
    "WHERE s.merchant_id = $1 AND s.location_id = $2 AND (s.inventory_item_id = ANY($3) "
    "OR s.material_id = ANY($3))"
)
_ALL_EXIST = (
    " AND (SELECT count(*) FROM stock WHERE merchant_id = $1 AND location_id = $2 "
    "AND (inventory_item_id = ANY($3) OR material_id = ANY($3))) = $4"
)
_IN_ID_ORDER = " ORDER BY s.id FOR UPDATE OF s"


async def _lock_stocks(
    conn: asyncpg.Connection, merchant: uuid.UUID, location: uuid.UUID, moves: list[Any]
) -> dict[uuid.UUID, asyncpg.Record]:
    item_ids = [m[1] for m in moves]
    locked = await conn.fetch(
        _LOCKED + _ALL_EXIST + _IN_ID_ORDER, merchant, location, item_ids, len(moves)
    )
    if not locked:
        await _create_stocks(conn, merchant, location, moves)
        locked = await conn.fetch(_LOCKED + _IN_ID_ORDER, merchant, location, item_ids)
    return {r["inventory_item_id"] or r["material_id"]: r for r in locked}


async def _create_stocks(
    conn: asyncpg.Connection, merchant: uuid.UUID, location: uuid.UUID, moves: list[Any]
) -> None:
    rows: list[Any] = []
    for kind, item_id, *_ in moves:
        product = kind == "PRODUCT"
        rows += [
            uuid7(),
            merchant,
            location,
            kind,
            item_id if product else None,
            None if product else item_id,
            Decimal(0),
            Decimal(0),
            None if product else item_id,
            0,
        ]
    await conn.execute(
        "INSERT INTO stock (id, merchant_id, location_id, item_type, inventory_item_id, "
        "material_id, on_hand, reserved, low_stock_threshold, version) VALUES "
        + _values(len(moves), 10, row_sql=_STOCK_ROW)
        + " ON CONFLICT DO NOTHING",
        *rows,
    )


async def _apply(
    conn: asyncpg.Connection,
    merchant: uuid.UUID,
    order: str,
    moves: list[Any],
    stocks: dict[uuid.UUID, asyncpg.Record],
) -> int:
    now = datetime.now(UTC)
    ledger: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    outbox: list[dict[str, Any]] = []
    for kind, item_id, move_type, d_on_hand, d_reserved, snapshot in moves:
        stock = stocks[item_id]
        on_hand, reserved = stock["on_hand"] + d_on_hand, stock["reserved"] + d_reserved
        version = stock["version"] + 1
        movement_id = uuid7()
        ledger.append(
            {
                "id": str(movement_id),
                "stock_id": str(stock["id"]),
                "location_id": str(stock["location_id"]),
                "type": move_type,
                "d_on_hand": str(d_on_hand),
                "d_reserved": str(d_reserved),
                "on_hand": str(on_hand),
                "reserved": str(reserved),
                "negative": on_hand < 0,
                "snapshot": snapshot or "null",
            }
        )
        updates.append(
            {
                "id": str(stock["id"]),
                "on_hand": str(on_hand),
                "reserved": str(reserved),
                "version": version,
            }
        )
        payload = {
            "eventId": str(movement_id),
            "merchantId": str(merchant),
            "stockId": str(stock["id"]),
            "itemType": kind,
            "onHand": str(on_hand),
            "reserved": str(reserved),
            "available": str(on_hand - reserved),
            "version": version,
            "movement": {"type": move_type, "referenceId": order, "actor": ACTOR},
        }
        topics = ["inventory.stock-changed"] + (
            ["material.stock-changed"] if kind == "MATERIAL" else []
        )
        for topic in topics:
            outbox.append(
                {
                    "n": len(outbox),
                    "id": str(uuid7()),
                    "topic": topic,
                    "key": str(stock["id"]),
                    "payload": payload,
                }
            )
    written: int = await conn.fetchval(
        _WRITE,
        merchant,
        order,
        ACTOR,
        now,
        json.dumps(ledger),
        json.dumps(updates),
        len(ledger),
        json.dumps(outbox),
    )
    return written


async def run_ceiling(dsn: str, events: Sequence[bytes], workers: int) -> tuple[float, int]:
    """Apply every event with `workers` connections; (seconds, ledger rows written)."""
    shares = [events[w::workers] for w in range(workers)]
    connections = [await asyncpg.connect(dsn) for _ in range(workers)]
    written = 0

    async def work(conn: asyncpg.Connection, share: Sequence[bytes]) -> None:
        nonlocal written
        for raw in share:
            rows = await apply_raw_payment(conn, json.loads(raw))
            written += rows  # not `written += await ...`: that reads before the await

    try:
        started = time.perf_counter()
        await asyncio.gather(*(work(c, s) for c, s in zip(connections, shares, strict=True)))
        return time.perf_counter() - started, written
    finally:
        for conn in connections:
            await conn.close()
