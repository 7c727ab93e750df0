# ruff: noqa: E501  (GraphQL documents read better on one line)
"""A count taken during service: payments keep arriving while the session is started,
recorded and applied, and the stock ends at the counted quantity less exactly the sales
made after countedAt. The new movements reach the outbox like any other, and the ledger
still adds up."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import jsonschema
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.queries.ledger import check_ledger
from app.domain.enums import ItemType
from app.domain.sale import PaymentSucceeded, SaleItem
from app.services.sales import apply_payment
from graphql_schema.ids import global_id
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Gql

EVENTS = Path(__file__).parents[2] / "contracts" / "events"
BEFORE, AFTER, SOLD_EACH = 6, 25, Decimal(2)
SESSION = "countSession { id uuid } userErrors { message }"


async def test_a_count_during_service_keeps_every_sale_after_counted_at(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    location = await seed.location(sessions, MERCHANT_A)
    cookie, variant = await seed.item(sessions, MERCHANT_A, "Cookie")
    stock = await seed.stock(sessions, MERCHANT_A, location, ItemType.PRODUCT, cookie, "200")

    async def pay() -> None:
        await apply_payment(
            sessions,
            PaymentSucceeded(
                event_id=uuid.uuid4(),
                merchant_id=MERCHANT_A,
                location_id=location,
                sale_order_id=uuid.uuid4(),
                items=(SaleItem(uuid.uuid4(), variant, SOLD_EACH),),
                occurred_at=datetime.now(UTC),
            ),
        )

    for _ in range(BEFORE):
        await pay()
    # The moment counted: after the first payments were applied, before the rest.
    counted_at = datetime.now(UTC)

    async def keep_paying() -> None:
        for _ in range(AFTER):
            await pay()
            await asyncio.sleep(0)

    async def count() -> dict[str, str]:
        started = (
            await gql.data(
                f"mutation($i: CountSessionInput!) {{ countSessionStart(input: $i) {{ {SESSION} }} }}",
                {
                    "i": {
                        "locationId": global_id("Location", location),
                        "scope": "FULL",
                        "countedAt": counted_at.isoformat(),
                    }
                },
            )
        )["countSessionStart"]
        session = started["countSession"]
        # Staff find 180 where the ledger said 200 - 6 x 2 = 188 at that moment.
        recorded = await gql.data(
            f"mutation($id: ID!, $e: [CountEntryInput!]!) {{ countSessionRecord(id: $id, entries: $e) {{ {SESSION} }} }}",
            {
                "id": session["id"],
                "e": [
                    {
                        "stock": {"stockId": global_id("Stock", stock)},
                        "area": "shelf",
                        "quantity": "150",
                    },
                    {
                        "stock": {"stockId": global_id("Stock", stock)},
                        "area": "back",
                        "quantity": "30",
                    },
                ],
            },
        )
        assert recorded["countSessionRecord"]["userErrors"] == []
        applied = await gql.data(
            f"mutation($id: ID!) {{ countSessionApply(id: $id) {{ {SESSION} }} }}",
            {"id": session["id"]},
        )
        assert applied["countSessionApply"]["userErrors"] == []
        return dict(session)

    _, session = await asyncio.gather(keep_paying(), count())

    async with sessions() as db:
        on_hand = (
            await db.execute(select(t.stock.c.on_hand).where(t.stock.c.id == stock))
        ).scalar_one()
        assert (await check_ledger(db, merchant_id=MERCHANT_A)).discrepancies == []
        events = (
            await db.execute(
                select(t.outbox_event)
                .where(t.outbox_event.c.merchant_id == MERCHANT_A)
                .order_by(t.outbox_event.c.seq)
            )
        ).all()
    # 180 counted, then exactly the 25 payments of 2 after the moment.
    assert on_hand == Decimal(180) - AFTER * SOLD_EACH
    counts = [e.payload for e in events if e.payload["movement"]["type"] == "COUNT"]
    assert len(counts) == 1
    [count_event] = counts
    schema = json.loads((EVENTS / "inventory.stock-changed.schema.json").read_text())
    jsonschema.validate(count_event, schema)
    assert count_event["movement"]["referenceType"] == "COUNT_SESSION"
    assert count_event["movement"]["referenceId"] == session["uuid"]
    assert count_event["movement"]["deltaOnHand"] == "-8"
    # Every movement of the stock has its event, in ledger order: seed, 31 sales, the count.
    assert len(events) == 1 + BEFORE + AFTER + 1
