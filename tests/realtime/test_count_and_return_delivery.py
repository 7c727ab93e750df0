"""The movements of count sessions and returns reach subscribed POS clients like any other:
outbox → relay → Kafka → hub → socket."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.domain.enums import CountScope
from app.domain.sale import PaymentSucceeded, SaleItem
from app.services.context import Actor
from app.services.count_entries import CountEntryInput, record_entries
from app.services.count_sessions import CountSessionInput, apply_session, start_session
from app.services.sale_returns import SaleReturnLine, record_sale_return
from app.services.sales import apply_payment
from app.services.stock_refs import StockRef
from graphql_schema.ids import global_id
from tests.realtime import seed
from tests.realtime.app_server import running_app
from tests.realtime.client import socket
from tests.realtime.conftest import MakeSettings, MakeToken

Sessions = async_sessionmaker[AsyncSession]
STOCK_CHANGED = """
subscription ($locationId: ID) {
  stockChanged(locationId: $locationId) {
    stock { onHand }
    movement { type referenceType referenceId deltaOnHand }
  }
}
"""


async def test_a_count_and_a_return_reach_a_subscribed_pos(
    sessions: Sessions, make_settings: MakeSettings, make_token: MakeToken
) -> None:
    shop = await seed.a_shop(sessions)
    item_id, variant_id = await seed.an_item(sessions, shop)
    key = seed.product(shop, item_id)
    await seed.adjust(sessions, shop, key, "10")
    stock = await seed.stock_id(sessions, key)
    order = uuid.uuid4()
    await apply_payment(
        sessions,
        PaymentSucceeded(
            event_id=uuid.uuid4(),
            merchant_id=shop.merchant_id,
            location_id=shop.location_id,
            sale_order_id=order,
            items=(SaleItem(uuid.uuid4(), variant_id, Decimal(3)),),
            occurred_at=datetime.now(UTC),
        ),
    )
    await seed.forget_staged_events(sessions)
    actor = Actor(shop.merchant_id, "test")

    async with (
        running_app(make_settings()) as app,
        socket(app.url, make_token(shop.merchant_id)) as pos,
    ):
        await pos.subscribe(STOCK_CHANGED, {"locationId": global_id("Location", shop.location_id)})
        await app.subscribers(1)

        session_id = await start_session(
            sessions, actor, CountSessionInput(shop.location_id, CountScope.PARTIAL)
        )
        await record_entries(
            sessions, actor, session_id, [CountEntryInput(StockRef(stock_id=stock), Decimal(6))]
        )
        await apply_session(sessions, actor, session_id)
        counted = (await pos.next_data())["stockChanged"]
        await record_sale_return(
            sessions,
            actor,
            location_id=shop.location_id,
            sale_order_id=order,
            lines=[SaleReturnLine(variant_id, Decimal(1))],
        )
        returned = (await pos.next_data())["stockChanged"]

    # 10 - 3 sold = 7 expected, 6 counted; then 1 cookie back.
    assert counted["movement"]["type"] == "COUNT"
    assert counted["movement"]["referenceType"] == "COUNT_SESSION"
    assert counted["movement"]["referenceId"] == str(session_id)
    assert (counted["movement"]["deltaOnHand"], counted["stock"]["onHand"]) == ("-1", "6")
    assert returned["movement"]["type"] == "RETURN"
    assert returned["movement"]["referenceId"] == str(order)
    assert (returned["movement"]["deltaOnHand"], returned["stock"]["onHand"]) == ("1", "7")
