"""provisional items: an item a payment created before the catalogue described it, and its
recorded sales, deducted when the catalogue first says the item is tracked

Revision ID: 0010_provisional_items
Revises: 0009_ledger_days
Create Date: 2026-12-04 18:45:00.000000

provisional_sale has no merchant-data trigger (0003): no GraphQL query reads it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_provisional_items"
down_revision: str | None = "0009_ledger_days"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "inventory_item",
        sa.Column("provisional", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        "provisional_sale",
        sa.Column("merchant_id", sa.UUID(), nullable=False),
        sa.Column("inventory_item_id", sa.UUID(), nullable=False),
        sa.Column("sale_order_id", sa.UUID(), nullable=False),
        sa.Column("location_id", sa.UUID(), nullable=False),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "merchant_id",
            "inventory_item_id",
            "sale_order_id",
            "location_id",
            name=op.f("pk_provisional_sale"),
        ),
    )


def downgrade() -> None:
    op.drop_table("provisional_sale")
    op.drop_column("inventory_item", "provisional")
