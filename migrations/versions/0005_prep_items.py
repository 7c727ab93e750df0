"""prep items: prep recipes (recipe owner PREP_ITEM with a yield), productions, and the
PRODUCTION movement and reference types

Revision ID: 0005_prep_items
Revises: 0004_units
Create Date: 2026-12-04 18:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_prep_items"
down_revision: str | None = "0004_units"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOVEMENT_TYPES = [
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
]
REFERENCE_TYPES = ["SALE_ORDER", "KITCHEN_TICKET_ITEM", "POREC", "TRANSFER", "MANUAL"]
RECIPE_OWNERS = ["PRODUCT_VARIANT", "MODIFIER_OPTION"]
# (table, column, constraint, values before, values added)
ENUMS = [
    (
        "stock_movement",
        "type",
        "ck_stock_movement_movementtype",
        MOVEMENT_TYPES,
        ["PRODUCTION_CONSUMPTION", "PRODUCTION_OUTPUT"],
    ),
    (
        "stock_movement",
        "reference_type",
        "ck_stock_movement_referencetype",
        REFERENCE_TYPES,
        ["PRODUCTION"],
    ),
    ("recipe", "owner_type", "ck_recipe_recipeowner", RECIPE_OWNERS, ["PREP_ITEM"]),
]


# Productions are merchant data GraphQL reads (node, productions): the same statement
# triggers as migration 0003's tables, so cached responses drop when one is recorded.
NOTIFY_TRIGGERS = (
    ("insert", "INSERT", "REFERENCING NEW TABLE AS changed"),
    ("update", "UPDATE", "REFERENCING OLD TABLE AS changed_before NEW TABLE AS changed"),
    ("delete", "DELETE", "REFERENCING OLD TABLE AS changed"),
)


def _values_check(column: str, values: list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    for table, column, name, before, added in ENUMS:
        op.drop_constraint(op.f(name), table, type_="check")
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK"
            f" ({_values_check(column, before + added)})"
        )
    op.add_column("recipe", sa.Column("yield_quantity", sa.Numeric(), nullable=True))
    op.create_table(
        "production",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.UUID(), nullable=False),
        sa.Column("location_id", sa.UUID(), nullable=False),
        sa.Column("material_id", sa.UUID(), nullable=False),
        sa.Column("quantity_produced", sa.Numeric(), nullable=False),
        sa.Column("batches", sa.Numeric(), nullable=False),
        sa.Column("consumed", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=True),
        sa.Column(
            "produced_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "quantity_produced > 0", name=op.f("ck_production_quantity_produced_positive")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_production_location_id_location"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["material_id"],
            ["material.id"],
            name=op.f("fk_production_material_id_material"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_production")),
    )
    op.create_index("ix_production_merchant_id_id", "production", ["merchant_id", "id"])
    op.create_index(
        "ix_production_merchant_id_location_id", "production", ["merchant_id", "location_id", "id"]
    )
    op.create_index(
        "ix_production_merchant_id_material_id", "production", ["merchant_id", "material_id", "id"]
    )
    for suffix, event, referencing in NOTIFY_TRIGGERS:
        op.execute(
            f"CREATE TRIGGER production_notify_{suffix} AFTER {event} ON production "
            f"{referencing} FOR EACH STATEMENT EXECUTE FUNCTION notify_merchant_data()"
        )
    op.execute(
        "CREATE TRIGGER production_notify_truncate AFTER TRUNCATE ON production "
        "FOR EACH STATEMENT EXECUTE FUNCTION notify_merchant_data_truncated()"
    )


def downgrade() -> None:
    op.drop_table("production")
    op.drop_column("recipe", "yield_quantity")
    for table, column, name, before, _ in ENUMS:
        op.drop_constraint(op.f(name), table, type_="check")
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({_values_check(column, before)})"
        )
