"""stock history: the per-stock ledger index carries on_hand_after (onHandAt is index-only)

Revision ID: 0006_stock_history
Revises: 0005_prep_items
Create Date: 2026-12-04 18:50:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_stock_history"
down_revision: str | None = "0005_prep_items"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ["merchant_id", "stock_id", "occurred_at", "id"]


def upgrade() -> None:
    op.drop_index("ix_stock_movement_stock", table_name="stock_movement")
    op.create_index(
        "ix_stock_movement_stock",
        "stock_movement",
        _COLUMNS,
        unique=False,
        postgresql_include=["on_hand_after"],
    )


def downgrade() -> None:
    op.drop_index("ix_stock_movement_stock", table_name="stock_movement")
    op.create_index("ix_stock_movement_stock", "stock_movement", _COLUMNS, unique=False)
