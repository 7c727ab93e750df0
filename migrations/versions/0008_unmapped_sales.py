"""unmapped sale lines

Revision ID: 0008_unmapped_sales
Revises: 0007_counts
Create Date: 2026-12-04 18:56:30.644681
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_unmapped_sales"
down_revision: str | None = "0007_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unmapped_sale_line",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.UUID(), nullable=False),
        sa.Column("location_id", sa.UUID(), nullable=False),
        sa.Column("sale_order_id", sa.UUID(), nullable=False),
        sa.Column("sale_order_item_id", sa.UUID(), nullable=False),
        sa.Column("product_variant_id", sa.UUID(), nullable=False),
        sa.Column("modifier_option_id", sa.UUID(), nullable=True),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        sa.Column(
            "sold_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unmapped_sale_line")),
        sa.UniqueConstraint(
            "merchant_id",
            "sale_order_id",
            "sale_order_item_id",
            "modifier_option_id",
            name=op.f(
                "uq_unmapped_sale_line_merchant_id_sale_order_id_sale_order_item_id_modifier_option_id"
            ),
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index(
        "ix_unmapped_sale_line_period",
        "unmapped_sale_line",
        ["merchant_id", "location_id", "sold_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_unmapped_sale_line_period", table_name="unmapped_sale_line")
    op.drop_table("unmapped_sale_line")
