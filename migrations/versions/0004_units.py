"""units of measure: items' own units, and quantities as entered beside the base ones

Revision ID: 0004_units
Revises: 0003
Create Date: 2026-12-04 18:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_units"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ENTERED = {
    "stock_movement": ("entered_quantity", "entered_unit"),
    "recipe_line": ("entered_quantity", "entered_unit"),
    "transfer_line": ("entered_quantity", "entered_unit"),
}
_PO_LINE_ENTERED = ("entered_quantity_ordered", "entered_quantity_received", "entered_unit_cost")


def upgrade() -> None:
    for table in ("material", "inventory_item"):
        op.add_column(
            table,
            sa.Column(
                "units",
                postgresql.JSONB(astext_type=sa.Text()),
                server_default=sa.text("'[]'::jsonb"),
                nullable=False,
            ),
        )
    for table, (quantity, unit) in _ENTERED.items():
        op.add_column(table, sa.Column(quantity, sa.Numeric(), nullable=True))
        op.add_column(table, sa.Column(unit, sa.Text(), nullable=True))
    op.add_column("purchase_order_line", sa.Column("unit", sa.Text(), nullable=True))
    for name in _PO_LINE_ENTERED:
        op.add_column("purchase_order_line", sa.Column(name, sa.Numeric(), nullable=True))


def downgrade() -> None:
    for name in (*_PO_LINE_ENTERED, "unit"):
        op.drop_column("purchase_order_line", name)
    for table, columns in _ENTERED.items():
        for name in columns:
            op.drop_column(table, name)
    for table in ("material", "inventory_item"):
        op.drop_column(table, "units")
