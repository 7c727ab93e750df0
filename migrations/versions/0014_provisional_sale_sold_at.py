"""a provisional item's held sale keeps its payment's occurredAt, so the SALE movement
the catalogue's takeover writes for it is dated as the payment's own would have been

Revision ID: 0014_provisional_sale_sold_at
Revises: 0013_returns_and_productions
Create Date: 2026-12-04 23:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014_provisional_sale_sold_at"
down_revision: str | None = "0013_returns_and_productions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column without a default: a catalog change under a brief lock. Sales held
    # before it stay null and are dated when deducted, as they were until now.
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.execute("ALTER TABLE provisional_sale ADD COLUMN IF NOT EXISTS sold_at TIMESTAMPTZ")


def downgrade() -> None:
    op.execute("ALTER TABLE provisional_sale DROP COLUMN IF EXISTS sold_at")
