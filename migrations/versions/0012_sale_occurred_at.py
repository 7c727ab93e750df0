"""sales dated by their payment's occurredAt: stock_movement.sold_at, the late sales'
index, and daily totals summed again by that rule

Revision ID: 0012_sale_occurred_at
Revises: 0011_purchasing
Create Date: 2026-12-04 22:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
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
    op.add_column("stock_movement", sa.Column("sold_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_stock_movement_late_sales",
        "stock_movement",
        ["merchant_id", "location_id", "sold_at"],
        unique=False,
        postgresql_where=sa.text(LATE),
    )
    # The totals summed so far dated sales by when they were written: a cache, summed
    # again by the settling job (app/services/ledger_days.py) under the new rule.
    op.execute("DELETE FROM ledger_day")
    op.execute("DELETE FROM ledger_day_summed")


def downgrade() -> None:
    op.drop_index(
        "ix_stock_movement_late_sales",
        table_name="stock_movement",
        postgresql_where=sa.text(LATE),
    )
    op.drop_column("stock_movement", "sold_at")
    op.execute("DELETE FROM ledger_day")
    op.execute("DELETE FROM ledger_day_summed")
