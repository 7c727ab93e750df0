"""Every table of the service. Importing this package registers them on `metadata`."""

from sqlmodel import SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

from app.db.models.availability import PublishedAvailability  # noqa: E402
from app.db.models.catalog import InventoryItem, Material, Recipe, RecipeLine  # noqa: E402
from app.db.models.counts import CountEntry, CountLine, CountSession  # noqa: E402
from app.db.models.idempotency import IdempotencyKey  # noqa: E402
from app.db.models.item_cost import ItemCostChange  # noqa: E402
from app.db.models.ledger_days import LedgerDay, LedgerDaySummed  # noqa: E402
from app.db.models.outbox import OutboxEvent  # noqa: E402
from app.db.models.production import Production, ProductionRecipeLine  # noqa: E402
from app.db.models.provisional import ProvisionalSale  # noqa: E402
from app.db.models.purchasing import (  # noqa: E402
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderPayment,
    Vendor,
)
from app.db.models.stock import KitchenTicketEffect, Stock, StockMovement  # noqa: E402
from app.db.models.tenancy import Location, Merchant  # noqa: E402
from app.db.models.transfers import Transfer, TransferLine  # noqa: E402
from app.db.models.unmapped_sales import UnmappedSaleLine  # noqa: E402

metadata = SQLModel.metadata

__all__ = [
    "CountEntry",
    "CountLine",
    "CountSession",
    "IdempotencyKey",
    "InventoryItem",
    "ItemCostChange",
    "KitchenTicketEffect",
    "LedgerDay",
    "LedgerDaySummed",
    "Location",
    "Material",
    "Merchant",
    "OutboxEvent",
    "Production",
    "ProductionRecipeLine",
    "ProvisionalSale",
    "PublishedAvailability",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "PurchaseOrderPayment",
    "Recipe",
    "RecipeLine",
    "Stock",
    "StockMovement",
    "Transfer",
    "TransferLine",
    "UnmappedSaleLine",
    "Vendor",
    "metadata",
]
