"""purchasing and valuation: par levels, backorders, average costs of products, and every
item's average unit cost as of each change

Revision ID: 0011_purchasing
Revises: 0010_provisional_items
Create Date: 2026-12-04 18:45:47.967367
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_purchasing"
down_revision: str | None = "0010_provisional_items"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Movements that bring stock in or move it away: usage is opening + these - closing.
FLOWS = (
    "type IN ('ADJUSTMENT', 'PRODUCTION_OUTPUT', 'PURCHASE_RECEIPT', 'TRANSFER_IN', 'TRANSFER_OUT')"
)


def upgrade() -> None:
    op.create_table(
        "item_cost_change",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.UUID(), nullable=False),
        sa.Column(
            "item_type",
            sa.Enum(
                "PRODUCT",
                "MATERIAL",
                name="itemtype",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("item_id", sa.UUID(), nullable=False),
        sa.Column("average_unit_cost", sa.Numeric(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reference_type", sa.Text(), nullable=False),
        sa.Column("reference_id", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_cost_change")),
    )
    op.create_index(
        "ix_item_cost_change_item",
        "item_cost_change",
        ["merchant_id", "item_id", "changed_at", "id"],
        unique=False,
        postgresql_include=["average_unit_cost"],
    )
    op.add_column("inventory_item", sa.Column("average_unit_cost", sa.Numeric(), nullable=True))
    op.add_column("purchase_order", sa.Column("backorder_of_id", sa.UUID(), nullable=True))
    op.create_index(
        "ix_purchase_order_merchant_id_backorder_of_id",
        "purchase_order",
        ["merchant_id", "backorder_of_id"],
        unique=True,
        postgresql_where=sa.text("backorder_of_id IS NOT NULL"),
    )
    op.create_foreign_key(
        op.f("fk_purchase_order_backorder_of_id_purchase_order"),
        "purchase_order",
        "purchase_order",
        ["backorder_of_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    op.create_index(
        "ix_stock_movement_flows",
        "stock_movement",
        ["merchant_id", "location_id", "occurred_at"],
        unique=False,
        postgresql_include=["stock_id", "type", "delta_on_hand"],
        postgresql_where=sa.text(FLOWS),
    )
    op.add_column("stock", sa.Column("par_level", sa.Numeric(), nullable=True))
    op.add_column("stock", sa.Column("reorder_point", sa.Numeric(), nullable=True))
    # Costs known before this revision have no history: each starts at the material's last
    # update, the latest moment its cost can have changed (earlier valuations show none).
    op.execute(
        "INSERT INTO item_cost_change (id, merchant_id, item_type, item_id, average_unit_cost,"
        " changed_at, reference_type, reference_id)"
        " SELECT gen_random_uuid(), merchant_id, 'MATERIAL', id, average_unit_cost, updated_at,"
        " 'MIGRATION', '0011_purchasing' FROM material WHERE average_unit_cost IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_stock_movement_flows", table_name="stock_movement")
    op.drop_column("stock", "reorder_point")
    op.drop_column("stock", "par_level")
    op.drop_constraint(
        op.f("fk_purchase_order_backorder_of_id_purchase_order"),
        "purchase_order",
        type_="foreignkey",
    )
    op.drop_index(
        "ix_purchase_order_merchant_id_backorder_of_id",
        table_name="purchase_order",
        postgresql_where=sa.text("backorder_of_id IS NOT NULL"),
    )
    op.drop_column("purchase_order", "backorder_of_id")
    op.drop_column("inventory_item", "average_unit_cost")
    op.drop_table("item_cost_change")
