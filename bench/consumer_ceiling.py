"""The ceiling for the payment consumer: the same SQL work per payment on raw asyncpg.

Per event and in one transaction it issues the statements `apply_payment` issues
(advisory lock, merchant row, location check, items, recorded sale, recipes,
pending kitchen effects, missing stocks, stock locks, existing ledger keys, then the
ledger rows, stock updates and outbox rows), with no ORM, no schema validation, no
Kafka: what the database alone allows on this machine.
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
        await conn.execute("INSERT INTO merchant (id) VALUES ($1) ON CONFLICT DO NOTHING", merchant)
        await conn.fetchval(
            "SELECT id FROM location WHERE merchant_id = $1 AND id = $2", merchant, location
        )
        items = {
            r["product_variant_id"]: (r["id"], r["track_inventory"])
            for r in await conn.fetch(
                "SELECT product_variant_id, id, track_inventory FROM inventory_item "
                "WHERE merchant_id = $1 AND product_variant_id = ANY($2::uuid[])",
                merchant,
                variants,
            )
        }
        await conn.fetch(
            "SELECT type, location_id, recipe_snapshot FROM stock_movement WHERE merchant_id = $1 "
            "AND reference_type = 'SALE_ORDER' AND reference_id = $2 "
            "AND type IN ('SALE', 'SALE_RESERVATION')",
            merchant,
            order,
        )
        recipes = await conn.fetch(
            "SELECT r.owner_id, l.id, l.material_id, l.quantity FROM recipe r "
            "JOIN recipe_line l ON l.recipe_id = r.id WHERE r.merchant_id = $1 "
            "AND l.merchant_id = $1 AND r.owner_type = 'PRODUCT_VARIANT' "
            "AND r.owner_id = ANY($2::uuid[]) ORDER BY r.owner_id, l.position, l.id",
            merchant,
            variants,
        )
        await conn.fetch(
            "SELECT kitchen_ticket_item_id, sale_order_item_id, quantity, effect "
            "FROM kitchen_ticket_effect WHERE merchant_id = $1 AND sale_order_id = $2 "
            "AND applied IS false ORDER BY created_at, kitchen_ticket_item_id",
            merchant,
            uuid.UUID(order),
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
    moves = []
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


async def _lock_stocks(
    conn: asyncpg.Connection, merchant: uuid.UUID, location: uuid.UUID, moves: list[Any]
) -> dict[uuid.UUID, asyncpg.Record]:
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
    locked = await conn.fetch(
        "SELECT s.id, s.location_id, s.item_type, s.inventory_item_id, s.material_id, "
        "s.on_hand, s.reserved, s.version, s.low_stock_threshold, i.unit AS item_unit, "
        "m.unit AS material_unit, i.product_variant_id FROM stock s "
        "LEFT JOIN inventory_item i ON i.id = s.inventory_item_id "
        "LEFT JOIN material m ON m.id = s.material_id "
        "WHERE s.merchant_id = $1 AND s.location_id = $2 AND (s.inventory_item_id = ANY($3) "
        "OR s.material_id = ANY($3)) ORDER BY s.id FOR UPDATE OF s",
        merchant,
        location,
        [m[1] for m in moves],
    )
    return {r["inventory_item_id"] or r["material_id"]: r for r in locked}


async def _apply(
    conn: asyncpg.Connection,
    merchant: uuid.UUID,
    order: str,
    moves: list[Any],
    stocks: dict[uuid.UUID, asyncpg.Record],
) -> int:
    keys = [("SALE_ORDER", order, stocks[m[1]]["id"], m[2]) for m in moves]
    await conn.fetch(
        "SELECT reference_type, reference_id, stock_id, type FROM stock_movement "
        "WHERE merchant_id = $1 AND (reference_type, reference_id, stock_id, type) IN ("
        + _values(len(keys), 4, start=2)
        + ")",
        merchant,
        *[v for k in keys for v in k],
    )
    now = datetime.now(UTC)
    ledger, updates, outbox = [], [], []
    for kind, item_id, move_type, d_on_hand, d_reserved, snapshot in moves:
        stock = stocks[item_id]
        on_hand, reserved = stock["on_hand"] + d_on_hand, stock["reserved"] + d_reserved
        version = stock["version"] + 1
        movement_id = uuid7()
        ledger.append(
            (
                *(movement_id, merchant, stock["id"], stock["location_id"], move_type),
                *("SALE_ORDER", order, d_on_hand, d_reserved, on_hand, reserved, None, ACTOR),
                *(on_hand < 0, snapshot or "null", now),
            )
        )
        updates.append((on_hand, reserved, version, now, stock["id"]))
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
        outbox += [(uuid7(), merchant, t, str(stock["id"]), t, payload) for t in topics]
    await conn.executemany(
        "INSERT INTO stock_movement (id, merchant_id, stock_id, location_id, type, "
        "reference_type, reference_id, delta_on_hand, delta_reserved, on_hand_after, "
        "reserved_after, reason, actor, went_negative, recipe_snapshot, occurred_at) VALUES "
        "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb, $16)",
        ledger,
    )
    await conn.executemany(
        "UPDATE stock SET on_hand = $1, reserved = $2, version = $3, updated_at = $4 WHERE id = $5",
        updates,
    )
    await conn.executemany(
        "INSERT INTO outbox_event (id, merchant_id, topic, key, event_type, payload) "
        "VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
        outbox,
    )
    return len(ledger)


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
