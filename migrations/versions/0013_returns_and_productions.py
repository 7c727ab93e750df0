"""returns under the sale order's id; productions keep the recipe they were made by

Revision ID: 0013_returns_and_productions
Revises: 0012_sale_occurred_at
Create Date: 2026-12-04 22:20:00.000000

1. The ledger's unique key gains `occurrence` (1, but 2, 3, … for later returns of a
   product on one sale order), so every RETURN row carries the sale order's id as its
   reference id. Every other movement keeps occurrence 1, so its key is unique exactly
   as before. On a table of millions of rows, step by step, with what each step locks:
   The first three run outside a transaction (autocommit), so no lock outlives its
   statement:
   - ADD COLUMN ... NOT NULL DEFAULT 1: a catalogue change only (PostgreSQL >= 11 keeps
     the default without rewriting the table), under a brief ACCESS EXCLUSIVE lock.
   - CREATE UNIQUE INDEX CONCURRENTLY: SHARE UPDATE EXCLUSIVE, so reads and writes go
     on while it scans the table; a failed build leaves an INVALID index, dropped first
     when the migration is run again.
   - one ALTER TABLE that DROPs the old constraint and ADDs the new one USING that
     index: catalogue changes under one brief ACCESS EXCLUSIVE lock (no scan, the index
     is built), never a moment without a unique key.
   These three run with a lock_timeout, so a long transaction ahead of them makes the
   migration fail (run it again: each step is skipped once done) rather than queue every
   reader and writer of the ledger behind it. Then, in the migration's transaction:
   - UPDATE the returns written as `<saleOrderId>#<n>` to the sale order's id and
     occurrence n: one scan of the table under ROW EXCLUSIVE (reads and writes go on;
     only the few rows changed are locked).
   The downgrade rebuilds the old key in one transaction, which holds writes while it
   scans: a maintenance window.
2. production_recipe_line: the prep recipe each production was made by, scaled to what
   it made. Productions made before this revision get the recipe as it is now (what the
   usage report explained them by until now, so no old report changes), rounded as a
   production's consumption is: half to even, 6 places, computed exactly.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_returns_and_productions"
down_revision: str | None = "0012_sale_occurred_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KEY = "uq_stock_movement_merchant_id_reference_type_reference__36fb"
NEW_KEY = "uq_stock_movement_reference"
KEY = "merchant_id, reference_type, reference_id, stock_id, type"
LOCK_TIMEOUT = "SET LOCAL lock_timeout = '10s'"


def _key_swapped() -> bool:
    """Whether a run that failed later already put the new key in place."""
    found = op.get_bind().execute(
        sa.text(
            "SELECT 1 FROM pg_constraint"
            " WHERE conrelid = 'stock_movement'::regclass AND conname = :name"
        ),
        {"name": NEW_KEY},
    )
    return found.first() is not None


# recipe quantity x produced / yield, half to even at 6 places, exactly: n / d with
# n = quantity x produced x 10^6, rounded to an integer (div and mod of NUMERIC are
# exact), then / 10^6. Quantities, yields and productions are positive.
_N = "(line.quantity * production.quantity_produced * 1000000)"
_D = "recipe.yield_quantity"
_SCALED = (
    f"round((div({_N}, {_D}) + CASE WHEN 2 * mod({_N}, {_D}) > {_D} THEN 1"
    f" WHEN 2 * mod({_N}, {_D}) = {_D} AND mod(div({_N}, {_D}), 2) = 1 THEN 1"
    " ELSE 0 END) / 1000000, 6)"
)


def upgrade() -> None:
    with op.get_context().autocommit_block():
        # Each statement its own transaction: no lock outlives its statement.
        op.execute("SET lock_timeout = '10s'")
        op.execute(
            "ALTER TABLE stock_movement"
            " ADD COLUMN IF NOT EXISTS occurrence integer NOT NULL DEFAULT 1"
        )
        if not _key_swapped():
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NEW_KEY}")
            op.execute(
                f"CREATE UNIQUE INDEX CONCURRENTLY {NEW_KEY} ON stock_movement ({KEY}, occurrence)"
            )
            # One statement: there is never a moment without a unique key.
            op.execute(
                f"ALTER TABLE stock_movement DROP CONSTRAINT IF EXISTS {OLD_KEY},"
                f" ADD CONSTRAINT {NEW_KEY} UNIQUE USING INDEX {NEW_KEY}"
            )
        op.execute("RESET lock_timeout")
    op.execute(
        "UPDATE stock_movement"
        " SET reference_id = split_part(reference_id, '#', 1),"
        " occurrence = split_part(reference_id, '#', 2)::integer"
        " WHERE type = 'RETURN' AND reference_type = 'SALE_ORDER'"
        " AND reference_id ~ '^[^#]+#[0-9]+$'"
    )

    op.create_table(
        "production_recipe_line",
        sa.Column("merchant_id", sa.UUID(), nullable=False),
        sa.Column("production_id", sa.UUID(), nullable=False),
        sa.Column("material_id", sa.UUID(), nullable=False),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        sa.ForeignKeyConstraint(
            ["material_id"],
            ["material.id"],
            name=op.f("fk_production_recipe_line_material_id_material"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["production_id"],
            ["production.id"],
            name=op.f("fk_production_recipe_line_production_id_production"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint(
            "merchant_id", "production_id", "material_id", name=op.f("pk_production_recipe_line")
        ),
    )
    op.execute(
        "INSERT INTO production_recipe_line (merchant_id, production_id, material_id, quantity)"
        f" SELECT production.merchant_id, production.id, line.material_id, {_SCALED}"
        " FROM production"
        " JOIN recipe ON recipe.merchant_id = production.merchant_id"
        " AND recipe.owner_type = 'PREP_ITEM' AND recipe.owner_id = production.material_id"
        " JOIN recipe_line line ON line.recipe_id = recipe.id"
        f" WHERE {_D} > 0"
    )


def downgrade() -> None:
    op.drop_table("production_recipe_line")
    # A later return goes back to `<saleOrderId>#<n>`, so the old key holds again.
    op.execute(
        "UPDATE stock_movement SET reference_id = reference_id || '#' || occurrence"
        " WHERE occurrence > 1"
    )
    op.execute(LOCK_TIMEOUT)
    op.drop_constraint(NEW_KEY, "stock_movement", type_="unique")
    op.create_unique_constraint(
        OLD_KEY,
        "stock_movement",
        ["merchant_id", "reference_type", "reference_id", "stock_id", "type"],
    )
    op.drop_column("stock_movement", "occurrence")
