"""daily ledger totals of settled days

Revision ID: 0009_ledger_days
Revises: 0008_unmapped_sales
Create Date: 2026-12-04 19:00:06.111129
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_ledger_days"
down_revision: str | None = "0008_unmapped_sales"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_day",
        sa.Column("merchant_id", sa.UUID(), nullable=False),
        sa.Column("location_id", sa.UUID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("stock_id", sa.UUID(), nullable=False),
        sa.Column("received", sa.Numeric(), nullable=False),
        sa.Column("transferred_in", sa.Numeric(), nullable=False),
        sa.Column("transferred_out", sa.Numeric(), nullable=False),
        sa.Column("produced", sa.Numeric(), nullable=False),
        sa.Column("adjusted_in", sa.Numeric(), nullable=False),
        sa.Column("returned", sa.Numeric(), nullable=False),
        sa.Column("wasted", sa.Numeric(), nullable=False),
        sa.Column("sold", sa.Numeric(), nullable=False),
        sa.Column("reserved_by_sales", sa.Numeric(), nullable=False),
        sa.Column("released", sa.Numeric(), nullable=False),
        sa.PrimaryKeyConstraint(
            "merchant_id", "location_id", "day", "stock_id", name=op.f("pk_ledger_day")
        ),
    )
    op.create_table(
        "ledger_day_summed",
        sa.Column("merchant_id", sa.UUID(), nullable=False),
        sa.Column("location_id", sa.UUID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint(
            "merchant_id", "location_id", "day", name=op.f("pk_ledger_day_summed")
        ),
    )


def downgrade() -> None:
    op.drop_table("ledger_day_summed")
    op.drop_table("ledger_day")
