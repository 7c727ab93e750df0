"""A realistic ledger history, written fast: one location, its stocks, N movements over D days.

Reusable by any benchmark that reads history (counts and usage here; valuation and
reorder suggestions later): `await write_history(database_url, HistoryShape(...))`
returns the ids it made. Everything is generated inside PostgreSQL with
generate_series and one INSERT … SELECT per table, so a million movements take tens of
seconds, not hours of service calls.

What a stock's ledger looks like, by its position n in that stock's sequence (times
evenly spread over the days, so every stock's history is in time order):

- materials: a delivery (PURCHASE_RECEIPT) every `receipt_every`-th movement; some
  WASTE, ADJUSTMENT (in and out) and COUNT; the rest sales: SALE_RESERVATION of q then
  KITCHEN_CONSUMPTION of q (on hand and reserved down together), with now and then a
  KITCHEN_RELEASE (a cancelled ticket) instead of the consumption;
- products: deliveries, and SALE of 1 to 3 units otherwise.

A sale's movements carry their payment's time (`sold_at`): seconds before they were
written, but one in 211 from an offline till that synced 2 to 6 hours later (late), and a
KITCHEN_RELEASE 2 to 21 minutes after its payment (late past 10). Beside the ledger,
`unmapped_lines` sale lines that depleted nothing (unmapped_sale_line): 30 untracked
product variants without recipes, 2 lines in 5 a modifier option (8 of them) without a
modifier recipe, spread over the days like the sales.

The ledger invariant holds: on_hand_after and reserved_after are the running sums of
the deltas (a window over the stock's sequence), and each stock's quantities are the
last of them. Ids are UUIDv7-shaped from the movement's time, like the service's own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg

MERCHANT = uuid.UUID("00000000-0000-7000-8000-0000000000b1")


@dataclass(frozen=True)
class HistoryShape:
    stocks: int = 300
    products: int = 50  # of the stocks; the rest are materials
    movements: int = 1_000_000
    days: int = 30
    end: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))
    receipt_every: int = 111
    unmapped_lines: int = 40_000
    merchant_id: uuid.UUID = MERCHANT

    @property
    def start(self) -> datetime:
        return self.end - timedelta(days=self.days)


@dataclass(frozen=True)
class History:
    shape: HistoryShape
    location_id: uuid.UUID
    stock_ids: list[uuid.UUID]
    material_ids: list[uuid.UUID]


# A UUIDv7-shaped id of a time: 48 bits of milliseconds, version 7, random rest.
_UUID7 = """(lpad(to_hex((extract(epoch FROM {t}) * 1000)::bigint), 12, '0')
  || '7' || substr(md5(random()::text), 1, 3) || '8' || substr(md5(random()::text), 1, 15))::uuid"""

_ITEMS = """
INSERT INTO material (id, merchant_id, name, unit, units, archived, average_unit_cost)
SELECT gen_random_uuid(), $1, 'Material ' || n, CASE WHEN n % 3 = 0 THEN 'ml' ELSE 'g' END,
       '[]'::jsonb, false, (0.001 * (1 + n % 40))::numeric
FROM generate_series(1, $2) AS n;
"""
_PRODUCTS = """
INSERT INTO inventory_item (id, merchant_id, product_variant_id, name, unit, units,
                            track_inventory, archived)
SELECT gen_random_uuid(), $1, gen_random_uuid(), 'Product ' || n, 'pcs', '[]'::jsonb, true, false
FROM generate_series(1, $2) AS n;
"""
_STOCKS = """
INSERT INTO stock (id, merchant_id, location_id, item_type, inventory_item_id, material_id,
                   on_hand, reserved, version)
SELECT gen_random_uuid(), $1::uuid, $2::uuid, 'MATERIAL', NULL::uuid, id, 0, 0, 0
FROM material WHERE merchant_id = $1
UNION ALL
SELECT gen_random_uuid(), $1::uuid, $2::uuid, 'PRODUCT', id, NULL::uuid, 0, 0, 0
FROM inventory_item WHERE merchant_id = $1;
"""

# Per stock k (its row number), movement n of per_stock; the kind decided by n.
_MOVEMENTS = f"""
WITH s AS (
  SELECT id, item_type, row_number() OVER (ORDER BY id) AS k
  FROM stock WHERE merchant_id = $1::uuid AND location_id = $2::uuid
), planned AS (
  SELECT s.id AS stock_id, s.item_type, s.k, n,
         $3::timestamptz + ($4::timestamptz - $3::timestamptz) * (n::float8 / ($5 + 1))
           + make_interval(secs => (s.k % 997) / 1000.0) AS at,
         (5 + s.k % 20)::numeric AS q
  FROM s, generate_series(1, $5) AS n
), typed AS (
  SELECT *, CASE
    WHEN n % $6 = 1 THEN 'PURCHASE_RECEIPT'
    WHEN item_type = 'PRODUCT' THEN 'SALE'
    WHEN n % 997 = 5 THEN 'WASTE'
    WHEN n % 1499 = 9 THEN 'ADJUSTMENT'
    WHEN n % 2003 = 11 THEN 'COUNT'
    WHEN n % 2 = 0 THEN 'SALE_RESERVATION'
    WHEN n % 41 = 3 THEN 'KITCHEN_RELEASE'
    ELSE 'KITCHEN_CONSUMPTION' END AS type
  FROM planned
), deltas AS (
  SELECT *,
    CASE type
      WHEN 'PURCHASE_RECEIPT' THEN CASE WHEN item_type = 'PRODUCT' THEN 250 ELSE q * 60 END
      WHEN 'SALE' THEN -(1 + n % 3)
      WHEN 'WASTE' THEN -q
      WHEN 'ADJUSTMENT' THEN CASE WHEN n % 2 = 0 THEN q ELSE -q END
      WHEN 'COUNT' THEN -(n % 7)
      WHEN 'KITCHEN_CONSUMPTION' THEN -q
      ELSE 0 END::numeric AS d_on_hand,
    CASE type
      WHEN 'SALE_RESERVATION' THEN q
      WHEN 'KITCHEN_CONSUMPTION' THEN -q
      WHEN 'KITCHEN_RELEASE' THEN -q
      ELSE 0 END::numeric AS d_reserved
  FROM typed
)
INSERT INTO stock_movement (id, merchant_id, stock_id, location_id, type, reference_type,
  reference_id, delta_on_hand, delta_reserved, on_hand_after, reserved_after, went_negative,
  actor, occurred_at, sold_at)
SELECT {_UUID7.format(t="at")}, $1::uuid, stock_id, $2::uuid, type,
  CASE type WHEN 'PURCHASE_RECEIPT' THEN 'POREC'
            WHEN 'SALE' THEN 'SALE_ORDER' WHEN 'SALE_RESERVATION' THEN 'SALE_ORDER'
            WHEN 'KITCHEN_CONSUMPTION' THEN 'KITCHEN_TICKET_ITEM'
            WHEN 'KITCHEN_RELEASE' THEN 'KITCHEN_TICKET_ITEM' ELSE 'MANUAL' END,
  k || '-' || n, d_on_hand, d_reserved,
  sum(d_on_hand) OVER w, sum(d_reserved) OVER w, sum(d_on_hand) OVER w < 0, 'history', at,
  CASE WHEN type IN ('SALE', 'SALE_RESERVATION') THEN at - CASE WHEN n % 211 = 7
         THEN make_interval(hours => 2 + n % 5) ELSE make_interval(secs => 1 + n % 30) END
       WHEN type = 'KITCHEN_RELEASE' THEN at - make_interval(mins => 2 + n % 20) END
FROM deltas
WINDOW w AS (PARTITION BY stock_id ORDER BY n);
"""

_VARIANT = "md5('unmapped-variant-' || {n})::uuid"
_UNTRACKED = f"""
INSERT INTO inventory_item (id, merchant_id, product_variant_id, name, unit, units,
                            track_inventory, archived)
SELECT gen_random_uuid(), $1, {_VARIANT.format(n="n")}, 'Untracked ' || n, 'pcs', '[]'::jsonb,
       false, false
FROM generate_series(0, 29) AS n;
"""
_UNMAPPED = f"""
INSERT INTO unmapped_sale_line (id, merchant_id, location_id, sale_order_id, sale_order_item_id,
  product_variant_id, modifier_option_id, quantity, sold_at)
SELECT gen_random_uuid(), $1, $2, gen_random_uuid(), gen_random_uuid(),
  {_VARIANT.format(n="(n * 7 % 30)")},
  CASE WHEN n % 5 < 2 THEN md5('unmapped-option-' || n % 8)::uuid END, 1 + n % 2,
  $3::timestamptz + ($4::timestamptz - $3::timestamptz) * (n::float8 / ($5 + 1))
FROM generate_series(1, $5) AS n;
"""

_TOTALS = """
UPDATE stock SET on_hand = t.on_hand, reserved = t.reserved, version = t.moves, updated_at = now()
FROM (SELECT stock_id, sum(delta_on_hand) AS on_hand, sum(delta_reserved) AS reserved,
             count(*) AS moves
      FROM stock_movement WHERE merchant_id = $1 GROUP BY stock_id) AS t
WHERE stock.id = t.stock_id;
"""


async def write_history(database_url: str, shape: HistoryShape) -> History:
    """Write a merchant, one location, `shape.stocks` stocks and `shape.movements`
    movements (rounded down to a whole number per stock) into a migrated database."""
    per_stock = shape.movements // shape.stocks
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("SET synchronous_commit = off")
        async with connection.transaction():
            await connection.execute(
                "INSERT INTO merchant (id, name) VALUES ($1, 'History') ON CONFLICT DO NOTHING",
                shape.merchant_id,
            )
            location_id = uuid.uuid4()
            await connection.execute(
                "INSERT INTO location (id, merchant_id, name, is_default, archived)"
                " VALUES ($1, $2, 'History', false, false)",
                location_id,
                shape.merchant_id,
            )
            await connection.execute(_ITEMS, shape.merchant_id, shape.stocks - shape.products)
            await connection.execute(_PRODUCTS, shape.merchant_id, shape.products)
            await connection.execute(_STOCKS, shape.merchant_id, location_id)
            await connection.execute(
                _MOVEMENTS,
                shape.merchant_id,
                location_id,
                shape.start,
                shape.end,
                per_stock,
                shape.receipt_every,
            )
            await connection.execute(_TOTALS, shape.merchant_id)
            await connection.execute(_UNTRACKED, shape.merchant_id)
            await connection.execute(
                _UNMAPPED,
                shape.merchant_id,
                location_id,
                shape.start,
                shape.end,
                shape.unmapped_lines,
            )
        await connection.execute(
            "ANALYZE stock_movement; ANALYZE stock; ANALYZE unmapped_sale_line; "
            "ANALYZE inventory_item"
        )
        stock_ids = [
            r["id"]
            for r in await connection.fetch(
                "SELECT id FROM stock WHERE location_id = $1 ORDER BY id", location_id
            )
        ]
        material_ids = [
            r["id"]
            for r in await connection.fetch(
                "SELECT id FROM material WHERE merchant_id = $1 ORDER BY id", shape.merchant_id
            )
        ]
    finally:
        await connection.close()
    return History(shape, location_id, stock_ids, material_ids)
