"""The ceiling for the payment consumer: the same SQL work per payment on raw asyncpg.

Per event and in one transaction it issues the statements `apply_payment` issues for a
fresh payment: the advisory lock; one statement for the merchant row, the location
check, the known items and whether the sale is recorded or kitchen effects wait; the
recipes; the stock locks (taken only if every stock exists, else the missing ones are
created and all locked); one statement for the ledger rows, stock updates and outbox
rows. No ORM, no schema validation, no Kafka: what the database alone allows here.
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
SELECT around.*, i.product_variant_id, i.id, i.track_inventory
FROM (
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
        ) AS pending_effects
) AS around
LEFT JOIN inventory_item i ON i.merchant_id = $1 AND i.product_variant_id = ANY($5::uuid[])
"""

_WRITE = """
WITH moved AS (
    INSERT INTO stock_movement (id, merchant_id, stock_id, location_id, type, reference_type,
        reference_id, delta_on_hand, delta_reserved, on_hand_after, reserved_after, reason,
        actor, went_negative, recipe_snapshot, occurred_at)
    SELECT m.id, $1, m.stock_id, m.location_id, m.type, 'SALE_ORDER', $2, m.d_on_hand,
        m.d_reserved, m.on_hand, m.reserved, NULL, $3, m.negative, m.snapshot::jsonb, $4
    FROM unnest($5::uuid[], $6::uuid[], $7::uuid[], $8::text[], $9::numeric[], $10::numeric[],
        $11::numeric[], $12::numeric[], $13::bool[], $14::text[])
        AS m(id, stock_id, location_id, type, d_on_hand, d_reserved, on_hand, reserved,
            negative, snapshot)
    ON CONFLICT (merchant_id, reference_type, reference_id, stock_id, type) DO NOTHING
    RETURNING id
), updated AS (
    UPDATE stock SET on_hand = s.on_hand, reserved = s.reserved, version = s.version,
        updated_at = $4
    FROM unnest($15::uuid[], $16::numeric[], $17::numeric[], $18::int[])
        AS s(id, on_hand, reserved, version)
    WHERE stock.id = s.id AND (SELECT count(*) FROM moved) = $19
), staged AS (
    INSERT INTO outbox_event (id, merchant_id, topic, key, event_type, payload)
    SELECT o.id, $1, o.topic, o.key, o.topic, o.payload::jsonb
    FROM unnest($20::uuid[], $21::text[], $22::text[], $23::text[]) WITH ORDINALITY
        AS o(id, topic, key, payload, n)
    WHERE (SELECT count(*) FROM moved) = $19
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
    async with conn.transaction():
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1::varchar, 0))",
            f"sale-order:{merchant}:{order}",
        )
        around = await conn.fetch(
            _LOOK_AROUND, merchant, location, order, uuid.UUID(order), variants
        )
        items = {r["product_variant_id"]: (r["id"], r["track_inventory"]) for r in around}
        recipes = await conn.fetch(
            "SELECT r.owner_id, l.id, l.material_id, l.quantity FROM recipe r "
            "JOIN recipe_line l ON l.recipe_id = r.id WHERE r.merchant_id = $1 "
            "AND l.merchant_id = $1 AND r.owner_type = 'PRODUCT_VARIANT' "
            "AND r.owner_id = ANY($2::uuid[]) ORDER BY r.owner_id, l.position, l.id",
            merchant,
            variants,
        )
        moves = _moves(location, order, sold, items, recipes)
        stocks = await _lock_stocks(conn, merchant, location, moves)
        return await _apply(conn, merchant, order, moves, stocks)


def _moves(
    location: uuid.UUID,
    order: str,
    sold: Sequence[tuple[uuid.UUID, uuid.UUID, Decimal]],
    items: dict[uuid.UUID, tuple[uuid.UUID, bool]],
    recipes: Sequence[asyncpg.Record],
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
    ledger: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    outbox: list[tuple[Any, ...]] = []
    for kind, item_id, move_type, d_on_hand, d_reserved, snapshot in moves:
        stock = stocks[item_id]
        on_hand, reserved = stock["on_hand"] + d_on_hand, stock["reserved"] + d_reserved
        version = stock["version"] + 1
        movement_id = uuid7()
        ledger.append(
            (
                *(movement_id, stock["id"], stock["location_id"], move_type),
                *(d_on_hand, d_reserved, on_hand, reserved, on_hand < 0, snapshot or "null"),
            )
        )
        updates.append((stock["id"], on_hand, reserved, version))
        payload = json.dumps(
            {
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
        )
        topics = ["inventory.stock-changed"] + (
            ["material.stock-changed"] if kind == "MATERIAL" else []
        )
        outbox += [(uuid7(), t, str(stock["id"]), payload) for t in topics]
    written: int = await conn.fetchval(
        _WRITE,
        merchant,
        order,
        ACTOR,
        now,
        *_columns(ledger, 10),
        *_columns(updates, 4),
        len(ledger),
        *_columns(outbox, 4),
    )
    return written


def _columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    return [[row[c] for row in rows] for c in range(width)]


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
