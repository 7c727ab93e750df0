# ruff: noqa: E501  (GraphQL documents read better on one line)
"""saleReturnRecord: RETURN movements for tracked products, never more than sold less returned."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

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

RETURN = """mutation($i: SaleReturnInput!, $k: String) { saleReturnRecord(input: $i, idempotencyKey: $k) {
  movements { type referenceType referenceId deltaOnHand onHandAfter reason } userErrors { field message code } } }"""


async def _sold(
    sessions: async_sessionmaker[AsyncSession],
) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID, uuid.UUID, uuid.UUID]:
    """A location where a sale order bought 3 cookies (tracked, 10 on hand) and 1 coffee (untracked)."""
    location = await seed.location(sessions, MERCHANT_A)
    cookie, cookie_variant = await seed.item(sessions, MERCHANT_A, "Cookie")
    _, coffee_variant = await seed.item(sessions, MERCHANT_A, "Coffee", track=False)
    stock = await seed.stock(sessions, MERCHANT_A, location, ItemType.PRODUCT, cookie, "10")
    order = uuid.uuid4()
    await apply_payment(
        sessions,
        PaymentSucceeded(
            event_id=uuid.uuid4(),
            merchant_id=MERCHANT_A,
            location_id=location,
            sale_order_id=order,
            items=(
                SaleItem(uuid.uuid4(), cookie_variant, Decimal(3)),
                SaleItem(uuid.uuid4(), coffee_variant, Decimal(1)),
            ),
            occurred_at=datetime.now(UTC),
        ),
    )
    return location, order, cookie_variant, coffee_variant, stock


def _input(location: uuid.UUID, order: uuid.UUID, *lines: tuple[uuid.UUID, str]) -> dict[str, Any]:
    return {
        "locationId": global_id("Location", location),
        "saleOrderId": str(order),
        "lines": [{"productVariantId": str(v), "quantity": q} for v, q in lines],
        "reason": "wrong flavour",
    }


async def _on_hand(sessions: async_sessionmaker[AsyncSession], stock: uuid.UUID) -> Decimal:
    async with sessions() as session:
        value = (
            await session.execute(select(t.stock.c.on_hand).where(t.stock.c.id == stock))
        ).scalar_one()
    assert isinstance(value, Decimal)
    return value


async def test_a_return_restocks_and_a_later_one_takes_what_is_left(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    location, order, cookie, _, stock = await _sold(sessions)

    first = (await gql.data(RETURN, {"i": _input(location, order, (cookie, "2"))}))[
        "saleReturnRecord"
    ]
    second = (await gql.data(RETURN, {"i": _input(location, order, (cookie, "1"))}))[
        "saleReturnRecord"
    ]
    third = (await gql.data(RETURN, {"i": _input(location, order, (cookie, "1"))}))[
        "saleReturnRecord"
    ]

    assert first == {
        "movements": [
            {
                "type": "RETURN",
                "referenceType": "SALE_ORDER",
                "referenceId": str(order),
                "deltaOnHand": "2",
                "onHandAfter": "9",
                "reason": "wrong flavour",
            }
        ],
        "userErrors": [],
    }
    assert second["movements"][0]["referenceId"] == f"{order}#2"
    assert second["movements"][0]["onHandAfter"] == "10"
    # 3 sold, 3 returned: nothing left.
    assert third["movements"] == []
    assert [(e["field"], e["code"]) for e in third["userErrors"]] == [
        (["input", "lines", "0", "quantity"], "INVALID")
    ]
    assert third["userErrors"][0]["message"].startswith("only 0 left to return")
    assert await _on_hand(sessions, stock) == Decimal(10)
    async with sessions() as session:
        assert (await check_ledger(session, merchant_id=MERCHANT_A)).discrepancies == []


async def test_more_than_sold_and_untracked_products_are_invalid_naming_the_line(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    location, order, cookie, coffee, stock = await _sold(sessions)

    refused = (
        await gql.data(
            RETURN, {"i": _input(location, order, (cookie, "2"), (coffee, "1"), (cookie, "2"))}
        )
    )["saleReturnRecord"]
    other_order = (await gql.data(RETURN, {"i": _input(location, uuid.uuid4(), (cookie, "1"))}))[
        "saleReturnRecord"
    ]

    assert refused["movements"] == []
    assert sorted((e["field"], e["code"]) for e in refused["userErrors"]) == [
        (["input", "lines", "1", "productVariantId"], "INVALID"),
        # 2 + 2 of the 3 sold: every problem is reported at once.
        (["input", "lines", "2", "quantity"], "INVALID"),
    ]
    # Without the untracked line, the second of two lines of 2 cookies is refused the same way.
    shared = (await gql.data(RETURN, {"i": _input(location, order, (cookie, "2"), (cookie, "2"))}))[
        "saleReturnRecord"
    ]
    assert [(e["field"], e["code"]) for e in shared["userErrors"]] == [
        (["input", "lines", "1", "quantity"], "INVALID")
    ]
    assert [e["field"] for e in other_order["userErrors"]] == [["input", "lines", "0", "quantity"]]
    assert await _on_hand(sessions, stock) == Decimal(7)


async def test_a_return_replays_by_idempotency_key(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    location, order, cookie, _, stock = await _sold(sessions)
    given = {"i": _input(location, order, (cookie, "1")), "k": "return-1"}

    first = await gql.data(RETURN, given)
    again = await gql.data(RETURN, given)

    assert first == again
    assert await _on_hand(sessions, stock) == Decimal(8)
