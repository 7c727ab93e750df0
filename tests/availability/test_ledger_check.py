"""The ledger check: one aggregate statement, a planted discrepancy found, none after every
kind of movement, and `inventory check-ledger` exiting by what it found."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import tables as t
from app.db.queries.ledger import check_ledger
from app.domain.enums import ItemType, KitchenStatus
from app.domain.transfers import TransferLine
from app.services.purchase_orders import PurchaseOrderLineInput, create_purchase_order
from app.services.purchase_receipts import receive_purchase_order
from app.services.sales import apply_kitchen_status, apply_payment
from app.services.stock_adjustments import adjust_stock, count_stock, record_waste
from app.services.stock_refs import StockRef
from app.services.transfers import transfer_materials
from graphql_schema.ids import global_id
from tests.availability.world import Sessions, another_location, material, product
from tests.graphql.conftest import Gql
from tests.graphql.statements import counted_statements
from tests.services import purchasing_builders
from tests.services.sales_builders import Shop, a_payment, a_shop, kitchen_event, sold

CHECK = """query($l: ID) { ledgerCheck(locationId: $l) {
  stocksChecked checkedAt
  discrepancies { ledgerOnHand ledgerReserved stock { id onHand reserved } }
} }"""


async def _stock_id(sessions: Sessions, shop: Shop, material_id: uuid.UUID) -> uuid.UUID:
    async with sessions() as session:
        found = await session.execute(
            select(t.stock.c.id).where(
                t.stock.c.location_id == shop.location_id, t.stock.c.material_id == material_id
            )
        )
        return found.scalar_one()


async def _plant(sessions: Sessions, stock_id: uuid.UUID) -> None:
    """What no service does: change a stock without a ledger row."""
    async with sessions.begin() as session:
        await session.execute(
            update(t.stock).where(t.stock.c.id == stock_id).values(on_hand=t.stock.c.on_hand + 5)
        )


async def test_a_stock_changed_behind_the_ledgers_back_is_found_by_one_statement(
    sessions: Sessions, engine: AsyncEngine, gql: Gql
) -> None:
    shop = await a_shop(sessions)
    milk = await material(sessions, shop, "1000", "ml")
    await material(sessions, shop, "250")
    await product(sessions, shop, "cake", tracked=True, on_hand="3")
    milk_stock = await _stock_id(sessions, shop, milk)
    await _plant(sessions, milk_stock)

    with counted_statements(engine) as statements:
        async with sessions() as session:
            direct = await check_ledger(session, merchant_id=shop.merchant_id)
    data = await gql.data(CHECK, merchant_id=shop.merchant_id)
    here = await gql.data(
        CHECK, {"l": global_id("Location", shop.location_id)}, merchant_id=shop.merchant_id
    )
    other_merchant = await gql.data(CHECK, merchant_id=uuid.uuid4())

    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    assert (direct.stocks_checked, [d.stock_id for d in direct.discrepancies]) == (3, [milk_stock])
    check = data["ledgerCheck"]
    assert check["stocksChecked"] == 3
    assert check["discrepancies"] == [
        {
            "ledgerOnHand": "1000",
            "ledgerReserved": "0",
            "stock": {"id": global_id("Stock", milk_stock), "onHand": "1005", "reserved": "0"},
        }
    ]
    assert here["ledgerCheck"]["discrepancies"] == check["discrepancies"]
    assert other_merchant["ledgerCheck"] == {
        "stocksChecked": 0,
        "checkedAt": other_merchant["ledgerCheck"]["checkedAt"],
        "discrepancies": [],
    }


async def test_no_discrepancy_after_every_kind_of_movement(sessions: Sessions, gql: Gql) -> None:
    shop = await a_shop(sessions)
    kitchen = await another_location(sessions, shop)
    milk = await material(sessions, shop, "1000", "ml")
    cake, cake_variant = await product(sessions, shop, "cake", tracked=True, on_hand="10")
    _, latte = await product(sessions, shop, "latte", {milk: "200"})
    served, cancelled = sold(latte, "1"), sold(latte, "2")
    payment = a_payment(shop, [served, cancelled])
    actor = shop.actor
    milk_here = StockRef(location_id=shop.location_id, item_type=ItemType.MATERIAL, item_id=milk)
    cake_here = StockRef(location_id=shop.location_id, item_type=ItemType.PRODUCT, item_id=cake)
    vendor = await purchasing_builders.vendor(sessions, actor)

    await apply_payment(sessions, payment)  # SALE_RESERVATION
    await apply_payment(sessions, a_payment(shop, [sold(cake_variant, "2")]))  # SALE
    for item, status in ((served, KitchenStatus.SERVED), (cancelled, KitchenStatus.CANCELLED)):
        event = kitchen_event(shop, payment, item, status, kitchen_ticket_item_id=uuid.uuid4())
        await apply_kitchen_status(sessions, event)  # KITCHEN_CONSUMPTION, KITCHEN_RELEASE
    order = await create_purchase_order(
        sessions,
        actor,
        location_id=shop.location_id,
        vendor_id=vendor,
        currency="EUR",
        lines=[PurchaseOrderLineInput(ItemType.MATERIAL, milk, Decimal("500"), Decimal("0.8"))],
    )
    await receive_purchase_order(sessions, actor, order.purchase_order_id)  # PURCHASE_RECEIPT
    await transfer_materials(  # TRANSFER_OUT, TRANSFER_IN
        sessions,
        actor,
        from_location_id=shop.location_id,
        to_location_id=kitchen.location_id,
        lines=[TransferLine(milk, Decimal("300"))],
    )
    await adjust_stock(sessions, actor, ref=cake_here, delta=Decimal("4"), reason="restock")
    await count_stock(sessions, actor, ref=milk_here, counted_quantity=Decimal("1000.5"))
    await record_waste(sessions, actor, ref=milk_here, quantity=Decimal("0.5"), reason="spilt")
    data = await gql.data(CHECK, merchant_id=shop.merchant_id)

    async with sessions() as session:
        kinds = set((await session.execute(select(t.stock_movement.c.type))).scalars())
    assert len(kinds) == 10  # every movement type of the contract
    assert data["ledgerCheck"]["discrepancies"] == []
    assert data["ledgerCheck"]["stocksChecked"] == 3  # milk and cake here, milk in the kitchen


async def _check_ledger_command(database_url: str, tmp_path: Path, *args: str) -> tuple[int, str]:
    dropped = ("DATABASE_", "KAFKA_", "IDENTITY_", "REDIS_", "BROADCAST_", "LOG_LEVEL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env.update({"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)})
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli.main",
        "check-ledger",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode() + err.decode()


async def test_check_ledger_command_exits_one_and_prints_the_stock_only_on_a_discrepancy(
    sessions: Sessions, database_url: str, tmp_path: Path
) -> None:
    shop, clean = await a_shop(sessions), await a_shop(sessions)
    milk = await material(sessions, shop, "1000", "ml")
    await material(sessions, clean, "5")
    milk_stock = await _stock_id(sessions, shop, milk)

    before = await _check_ledger_command(database_url, tmp_path)
    await _plant(sessions, milk_stock)
    (after, after_output), only_clean = await asyncio.gather(
        _check_ledger_command(database_url, tmp_path),
        _check_ledger_command(database_url, tmp_path, "--merchant", str(clean.merchant_id)),
    )

    assert before == (0, "2 stocks checked, 0 differ from their ledger\n")
    assert after == 1
    stock_line, summary = after_output.splitlines()
    assert stock_line == (
        f"stock {milk_stock} (merchant {shop.merchant_id}, location {shop.location_id}): "
        "onHand 1005 vs ledger 1000, reserved 0 vs ledger 0"
    )
    assert summary == "2 stocks checked, 1 differ from their ledger"
    assert only_clean == (0, "1 stocks checked, 0 differ from their ledger\n")
