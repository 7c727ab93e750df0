"""count sessions; RETURN movements and COUNT_SESSION references

Revision ID: 0007_counts
Revises: 0006_stock_history
Create Date: 2026-12-04 18:37:35.243332
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

# The ledger's enum columns are text with a check constraint: widened by replacing it.
# The values are spelled out: a migration must not change when the enums do later.
_MOVEMENT_TYPES = [
    "SALE",
    "SALE_RESERVATION",
    "KITCHEN_CONSUMPTION",
    "KITCHEN_RELEASE",
    "PURCHASE_RECEIPT",
    "TRANSFER_OUT",
    "TRANSFER_IN",
    "ADJUSTMENT",
    "COUNT",
    "WASTE",
    "PRODUCTION_CONSUMPTION",
    "PRODUCTION_OUTPUT",
    "RETURN",
]
_REFERENCE_TYPES = [
    "SALE_ORDER",
    "KITCHEN_TICKET_ITEM",
    "POREC",
    "TRANSFER",
    "MANUAL",
    "PRODUCTION",
    "COUNT_SESSION",
]
_LEDGER_CHECKS = {
    "type": ("ck_stock_movement_movementtype", _MOVEMENT_TYPES),
    "reference_type": ("ck_stock_movement_referencetype", _REFERENCE_TYPES),
}
_ADDED = {"RETURN", "COUNT_SESSION"}


def _replace_ledger_checks(values_kept: Callable[[list[str]], list[str]]) -> None:
    for column, (name, values) in _LEDGER_CHECKS.items():
        op.drop_constraint(op.f(name), "stock_movement", type_="check")
        allowed = ", ".join(f"'{v}'" for v in values_kept(values))
        op.create_check_constraint(op.f(name), "stock_movement", f"{column} IN ({allowed})")


revision: str = "0007_counts"
down_revision: str | None = "0006_stock_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _replace_ledger_checks(lambda values: values)
    op.create_table(
        "count_session",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.UUID(), nullable=False),
        sa.Column("location_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column(
            "scope",
            sa.Enum(
                "FULL",
                "PARTIAL",
                name="countscope",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
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
            nullable=True,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "OPEN",
                "APPLIED",
                "CANCELLED",
                name="countstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "counted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actor", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_count_session_location_id_location"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_session")),
    )
    op.create_index(
        "ix_count_session_location",
        "count_session",
        ["merchant_id", "location_id", "id"],
        unique=False,
    )
    op.create_index(
        "ix_count_session_merchant_id_id", "count_session", ["merchant_id", "id"], unique=False
    )
    op.create_table(
        "count_entry",
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("stock_id", sa.UUID(), nullable=False),
        sa.Column("area", sa.Text(), nullable=False),
        sa.Column("merchant_id", sa.UUID(), nullable=False),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("quantity_base", sa.Numeric(), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("actor", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["count_session.id"],
            name=op.f("fk_count_entry_session_id_count_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "stock_id", "area", name=op.f("pk_count_entry")),
    )
    op.create_table(
        "count_line",
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("stock_id", sa.UUID(), nullable=False),
        sa.Column("merchant_id", sa.UUID(), nullable=False),
        sa.Column("counted", sa.Numeric(), nullable=True),
        sa.Column("expected", sa.Numeric(), nullable=True),
        sa.Column("movement_id", sa.UUID(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["count_session.id"],
            name=op.f("fk_count_line_session_id_count_session"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stock_id"],
            ["stock.id"],
            name=op.f("fk_count_line_stock_id_stock"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("session_id", "stock_id", name=op.f("pk_count_line")),
    )


def downgrade() -> None:
    op.drop_table("count_line")
    op.drop_table("count_entry")
    op.drop_index("ix_count_session_merchant_id_id", table_name="count_session")
    op.drop_index("ix_count_session_location", table_name="count_session")
    op.drop_table("count_session")
    _replace_ledger_checks(lambda values: [v for v in values if v not in _ADDED])
