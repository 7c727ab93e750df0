"""merchant data notifications: a commit that changes what GraphQL reads names its merchants

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 04:00:00.000000

Every table a GraphQL query reads gets statement-level AFTER INSERT / UPDATE / DELETE
triggers whose transition tables give the distinct merchants the statement touched;
each is sent once on the channel `inventory_merchant_data` (NOTIFY is transactional:
delivered at commit, and the same payload is sent once per transaction). The serving
processes LISTEN and drop their cached GraphQL responses of those merchants
(app/db/data_versions.py). TRUNCATE, which names no rows, sends '*' (every merchant).
Not on the outbox, idempotency keys, kitchen-ticket effects or published availability:
no query reads them. (PostgreSQL allows transition tables on single-event triggers only,
hence three per table.)

Cost, measured on apply_payment (a product and two recipe materials; the stock UPDATE
and the ledger INSERT fire one trigger each): ~0.05 ms of PostgreSQL CPU per trigger,
~0.1 ms per payment (about 5% of the payment's backend CPU), none in the client. The
payment's transaction already NOTIFYs the outbox channel, so the commit-time queue
lock is no new cost.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "inventory_merchant_data"

TABLES = (
    "location",
    "inventory_item",
    "material",
    "recipe",
    "recipe_line",
    "stock",
    "stock_movement",
    "vendor",
    "purchase_order",
    "purchase_order_line",
    "purchase_order_payment",
    "transfer",
    "transfer_line",
)

# An UPDATE names the merchants of the rows before and after (a row moved between
# merchants invalidates both); INSERT has only `changed` (new), DELETE only `changed` (old).
NOTIFY_FUNCTION = f"""
CREATE FUNCTION notify_merchant_data() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        PERFORM pg_notify('{CHANNEL}', merchant_id::text)
        FROM (SELECT merchant_id FROM changed UNION SELECT merchant_id FROM changed_before) AS m;
    ELSE
        PERFORM pg_notify('{CHANNEL}', merchant_id::text)
        FROM (SELECT DISTINCT merchant_id FROM changed) AS m;
    END IF;
    RETURN NULL;
END
$$
"""

TRUNCATE_FUNCTION = f"""
CREATE FUNCTION notify_merchant_data_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', '*');
    RETURN NULL;
END
$$
"""

TRIGGERS = (
    ("insert", "INSERT", "REFERENCING NEW TABLE AS changed"),
    ("update", "UPDATE", "REFERENCING OLD TABLE AS changed_before NEW TABLE AS changed"),
    ("delete", "DELETE", "REFERENCING OLD TABLE AS changed"),
)


def upgrade() -> None:
    op.execute(NOTIFY_FUNCTION)
    op.execute(TRUNCATE_FUNCTION)
    for table in TABLES:
        for suffix, event, referencing in TRIGGERS:
            op.execute(
                f"CREATE TRIGGER {table}_notify_{suffix} AFTER {event} ON {table} "
                f"{referencing} FOR EACH STATEMENT EXECUTE FUNCTION notify_merchant_data()"
            )
        op.execute(
            f"CREATE TRIGGER {table}_notify_truncate AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION notify_merchant_data_truncated()"
        )


def downgrade() -> None:
    for table in TABLES:
        for suffix in ("insert", "update", "delete", "truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_notify_{suffix} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS notify_merchant_data_truncated()")
    op.execute("DROP FUNCTION IF EXISTS notify_merchant_data()")
