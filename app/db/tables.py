"""Core `Table` handles of the models, for typed SQL in services and read queries."""

from __future__ import annotations

from sqlalchemy import Table

from app.db import models


def _table(model: type) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


merchant = _table(models.Merchant)
location = _table(models.Location)
inventory_item = _table(models.InventoryItem)
material = _table(models.Material)
recipe = _table(models.Recipe)
recipe_line = _table(models.RecipeLine)
stock = _table(models.Stock)
stock_movement = _table(models.StockMovement)
kitchen_ticket_effect = _table(models.KitchenTicketEffect)
vendor = _table(models.Vendor)
purchase_order = _table(models.PurchaseOrder)
purchase_order_line = _table(models.PurchaseOrderLine)
purchase_order_payment = _table(models.PurchaseOrderPayment)
transfer = _table(models.Transfer)
transfer_line = _table(models.TransferLine)
outbox_event = _table(models.OutboxEvent)
idempotency_key = _table(models.IdempotencyKey)
published_availability = _table(models.PublishedAvailability)
production = _table(models.Production)
production_recipe_line = _table(models.ProductionRecipeLine)
count_session = _table(models.CountSession)
count_line = _table(models.CountLine)
count_entry = _table(models.CountEntry)
unmapped_sale_line = _table(models.UnmappedSaleLine)
ledger_day = _table(models.LedgerDay)
ledger_day_summed = _table(models.LedgerDaySummed)
provisional_sale = _table(models.ProvisionalSale)
item_cost_change = _table(models.ItemCostChange)
