"""sales dated by their payment's occurredAt: stock_movement.sold_at, the late sales'
index, and daily totals summed again by that rule

Revision ID: 0012_sale_occurred_at
Revises: 0011_purchasing
Create Date: 2026-12-04 22:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_sale_occurred_at"
down_revision: str | None = "0011_purchasing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# app/db/models/stock.py's LATE_SALE_PREDICATE as of this revision.
LATE = (
    "sold_at IS NOT NULL AND (occurred_at - sold_at > interval '600 seconds'"
    " OR sold_at - occurred_at > interval '600 seconds')"
)


def upgrade() -> None:
    # Adding a nullable column without a default touches the catalog only, under a brief
    # ACCESS EXCLUSIVE lock that waits at most this long behind running writes.
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.execute("ALTER TABLE stock_movement ADD COLUMN IF NOT EXISTS sold_at TIMESTAMPTZ")
    # The totals summed so far dated sales by when they were written: a cache, summed
    # again by the settling job (app/services/ledger_days.py) under the new rule.
    op.execute("DELETE FROM ledger_day")
    op.execute("DELETE FROM ledger_day_summed")
    # Built without blocking the ledger's writes (it reads the whole table; no row of it
    # is late yet, so it starts empty). IF NOT EXISTS: a rerun after a failure here.
    with op.get_context().autocommit_block():
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_stock_movement_late_sales"
            f" ON stock_movement (merchant_id, location_id, sold_at) WHERE {LATE}"
        )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_stock_movement_late_sales")
    op.drop_column("stock_movement", "sold_at")
    op.execute("DELETE FROM ledger_day")
    op.execute("DELETE FROM ledger_day_summed")
