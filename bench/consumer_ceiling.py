"""The ceiling for the payment consumer: the same SQL work on raw asyncpg, batched alike.

Each worker (one connection, standing for one partition) takes its events in runs of
`batch` (the consumer's records per partition and fetch) and applies each run in one
transaction with the very statements `apply_payments` sends, their SQL text taken
from the app's compiled statements: BEGIN with every sale order's advisory lock in
hash order (one round trip); one look-around for all the run's payments (merchant
rows, locations, paid or waiting kitchen effects, known items, recipe lines); the
stock locks of the whole run in one statement, in global id order (taken only if
every stock exists, else the missing ones are created and all locked); one statement
for every ledger row, stock update and outbox row; COMMIT. The Python in between is
the least that plans those moves: no ORM, no contract validation, no Kafka, and a
smaller recipe snapshot and outbox payload than the app's (so the database does a
little less here than under the consumer, which keeps the ratio on the safe side).
What the database alone allows for this work.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from app.db.driver import begin_with_locks
from app.db.models.base import uuid7
from app.services import stock_ledger_sql as sql
from app.services.sales.reads import LOOK_AROUND

ACTOR = "bench:raw"
_TICK = timedelta(microseconds=1)

# (merchant, stock key triple) -> locked stock row
Locked = dict[tuple[str, str, str], asyncpg.Record]
# (merchant, location, item type, item id, movement type, order, d on hand, d reserved,
#  snapshot json)
Planned = tuple[str, str, str, str, str, str, Decimal, Decimal, str | None]


async def apply_raw_payments(conn: asyncpg.Connection, events: Sequence[dict[str, Any]]) -> int:
    """Apply a run of payments in one transaction; the ledger rows written."""
    await conn.execute(
        begin_with_locks(
            sorted({f"sale-order:{e['merchantId']}:{e['saleOrderId']}" for e in events})
        )
    )
    try:
        around = await _look_around(conn, events)
        moves = [
            m
            for event, flags in zip(events, around[0], strict=True)
            for m in _moves(event, flags, around[1], around[2])
        ]
        stocks = await _lock_stocks(conn, moves)
        written = await _write(conn, moves, stocks)
        await conn.execute("COMMIT")
        return written
    finally:
        if conn.is_in_transaction():
            await conn.execute("ROLLBACK")


async def _look_around(
    conn: asyncpg.Connection, events: Sequence[dict[str, Any]]
) -> tuple[list[Any], dict[tuple[str, str], tuple[str, bool]], dict[tuple[str, str], list[Any]]]:
    variants = sorted(
        {(e["merchantId"], i["productVariantId"]) for e in events for i in e["items"]}
    )
    row = await conn.fetchrow(
        LOOK_AROUND.sql,
        *LOOK_AROUND.args(
            {
                "payments": [
                    {
                        "n": n,
                        "merchant_id": e["merchantId"],
                        "location_id": e["locationId"],
                        "sale_order_id": e["saleOrderId"],
                    }
                    for n, e in enumerate(events)
                ],
                "variants": [{"merchant_id": m, "variant_id": v} for m, v in variants],
                "owners": [
                    {"merchant_id": m, "owner_type": "PRODUCT_VARIANT", "owner_id": v}
                    for m, v in variants
                ],
            }
        ),
    )
    # The service's statement also says whether an item is provisional (issue 24); the
    # bench's shops know every variant, so the ceiling has no use for it.
    items = {(m, v): (i, tracked) for m, v, i, tracked, _ in json.loads(row["items"] or "[]")}
    recipes: dict[tuple[str, str], list[Any]] = {}
    for merchant, _, owner, line, material, quantity in json.loads(row["recipe_lines"] or "[]"):
        recipes.setdefault((merchant, owner), []).append((line, material, Decimal(quantity)))
    return json.loads(row["payments"]), items, recipes


def _moves(
    event: dict[str, Any],
    flags: list[Any],
    items: dict[tuple[str, str], tuple[str, bool]],
    recipes: dict[tuple[str, str], list[Any]],
) -> list[Planned]:
    """The run's payments are fresh: SALE per tracked item, reservations per material."""
    _, location_found, paid, _ = flags
    if not location_found or paid:
        raise RuntimeError("the ceiling applies fresh payments at known locations")
    merchant, location, order = event["merchantId"], event["locationId"], event["saleOrderId"]
    moves: list[Planned] = []
    reserved: dict[str, Decimal] = {}
    lines: dict[str, list[dict[str, str]]] = {}
    for sold in event["items"]:
        variant, quantity = sold["productVariantId"], Decimal(sold["quantity"])
        item_id, tracked = items[(merchant, variant)]
        if tracked:
            moves.append(
                (merchant, location, "PRODUCT", item_id, "SALE", order, -quantity, Decimal(0), None)
            )
        for line, material, per_unit in recipes.get((merchant, variant), ()):
            reserved[material] = reserved.get(material, Decimal(0)) + quantity * per_unit
            lines.setdefault(material, []).append(
                {"saleOrderItemId": sold["saleOrderItemId"], "recipeLineId": line}
            )
    for material, amount in sorted(reserved.items()):
        snapshot = json.dumps({"version": 1, "materialId": material, "items": lines[material]})
        moves.append(
            (
                merchant,
                location,
                "MATERIAL",
                material,
                "SALE_RESERVATION",
                order,
                Decimal(0),
                amount,
                snapshot,
            )
        )
    return moves


async def _lock_stocks(conn: asyncpg.Connection, moves: Sequence[Planned]) -> Locked:
    wanted = sorted({(m[0], m[1], m[2], m[3]) for m in moves})
    params = {
        "product_keys": [
            {"merchant_id": m, "location_id": loc, "item_id": i}
            for m, loc, kind, i in wanted
            if kind == "PRODUCT"
        ],
        "material_keys": [
            {"merchant_id": m, "location_id": loc, "item_id": i}
            for m, loc, kind, i in wanted
            if kind == "MATERIAL"
        ],
    }
    lock_all = sql.LOCK_IF_ALL_EXIST_DRIVER
    rows = await conn.fetch(lock_all.sql, *lock_all.args({**params, "expected": len(wanted)}))
    if not rows:
        insert = sql.INSERT_STOCK_DRIVER
        await conn.executemany(
            insert.sql, [insert.args(_new_stock(m, loc, kind, i)) for m, loc, kind, i in wanted]
        )
        rows = await conn.fetch(sql.LOCK_DRIVER.sql, *sql.LOCK_DRIVER.args(params))
    return {
        (
            str(r["merchant_id"]),
            str(r["location_id"]),
            str(r["inventory_item_id"] or r["material_id"]),
        ): r
        for r in rows
    }


def _new_stock(merchant: str, location: str, kind: str, item: str) -> dict[str, Any]:
    product = kind == "PRODUCT"
    return {
        "id": uuid7(),
        "merchant_id": uuid.UUID(merchant),
        "location_id": uuid.UUID(location),
        "item_type": kind,
        "inventory_item_id": uuid.UUID(item) if product else None,
        sql.MATERIAL_REF: None if product else uuid.UUID(item),
        "on_hand": Decimal(0),
        "reserved": Decimal(0),
        "version": 0,
    }


async def _write(conn: asyncpg.Connection, moves: Sequence[Planned], locked: Locked) -> int:
    # Each payment's moves at their own, strictly later time, as the app's steps.
    now = datetime.now(UTC)
    after: dict[str, tuple[Decimal, Decimal, int]] = {}
    ledger: list[dict[str, Any]] = []
    outbox: list[dict[str, Any]] = []
    order = None
    for merchant, location, kind, item, move_type, order_id, d_on_hand, d_reserved, snap in moves:
        if order_id != order:
            order, now = order_id, max(datetime.now(UTC), now + _TICK)
        stock = locked[(merchant, location, item)]
        stock_id = str(stock["id"])
        on_hand, reserved, version = after.get(
            stock_id, (stock["on_hand"], stock["reserved"], stock["version"])
        )
        on_hand, reserved, version = on_hand + d_on_hand, reserved + d_reserved, version + 1
        after[stock_id] = (on_hand, reserved, version)
        movement_id = str(uuid7())
        ledger.append(
            {
                "id": movement_id,
                "merchant_id": merchant,
                "stock_id": stock_id,
                "location_id": location,
                "type": move_type,
                "reference_type": "SALE_ORDER",
                "reference_id": order_id,
                "delta_on_hand": str(d_on_hand),
                "delta_reserved": str(d_reserved),
                "on_hand_after": str(on_hand),
                "reserved_after": str(reserved),
                "reason": None,
                "went_negative": on_hand < 0 or on_hand < reserved,
                "recipe_snapshot": snap or "null",
                "occurred_at": now.isoformat(),
            }
        )
        payload = {
            "eventId": movement_id,
            "merchantId": merchant,
            "stockId": stock_id,
            "itemType": kind,
            "onHand": str(on_hand),
            "reserved": str(reserved),
            "available": str(on_hand - reserved),
            "version": version,
            "movement": {"type": move_type, "referenceId": order_id, "actor": ACTOR},
        }
        topics = ["inventory.stock-changed"] + (
            ["material.stock-changed"] if kind == "MATERIAL" else []
        )
        for topic in topics:
            outbox.append(
                {
                    "n": len(outbox),
                    "id": str(uuid7()),
                    "merchant_id": merchant,
                    "topic": topic,
                    "key": stock_id,
                    "event_type": topic,
                    "payload": payload,
                }
            )
    write = sql.WRITE_DRIVER
    rows = await conn.fetch(
        write.sql,
        *write.args(
            {
                "batch_now": now,
                "batch_actor": ACTOR,
                "batch_expected": len(ledger),
                "batch_request_id": None,
                "moves": ledger,
                "stocks": [
                    {"id": i, "on_hand": str(o), "reserved": str(r), "version": v}
                    for i, (o, r, v) in after.items()
                ],
                "events": outbox,
            }
        ),
    )
    return len(rows)


async def run_ceiling(
    dsn: str, events: Sequence[bytes], workers: int, batch: int = 100
) -> tuple[float, int]:
    """Apply every event with `workers` connections, in runs of `batch` per transaction;
    (seconds, ledger rows written)."""
    shares = [events[w::workers] for w in range(workers)]
    connections = [await asyncpg.connect(dsn) for _ in range(workers)]
    written = 0

    async def work(conn: asyncpg.Connection, share: Sequence[bytes]) -> None:
        nonlocal written
        for start in range(0, len(share), batch):
            run = [json.loads(raw) for raw in share[start : start + batch]]
            rows = await apply_raw_payments(conn, run)
            written += rows  # not `written += await ...`: that reads before the await

    try:
        started = time.perf_counter()
        await asyncio.gather(*(work(c, s) for c, s in zip(connections, shares, strict=True)))
        return time.perf_counter() - started, written
    finally:
        for conn in connections:
            await conn.close()
