# ruff: noqa: E501  (GraphQL documents read better on one line)
"""saleReturnRecord: RETURN movements for tracked products, never more than sold less returned."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.queries.ledger import check_ledger
from app.domain.enums import ItemType
from app.domain.errors import DomainError, UserErrorCode
from app.domain.sale import PaymentSucceeded, SaleItem
from app.services.context import Actor
from app.services.sale_returns import SaleReturnLine, record_sale_return
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


async def _returns(
    sessions: async_sessionmaker[AsyncSession], stock: uuid.UUID
) -> list[tuple[str, int, Decimal]]:
    """(reference id, occurrence, quantity) of the stock's RETURN rows, in order."""
    ledger = t.stock_movement
    async with sessions() as session:
        rows = await session.execute(
            select(ledger.c.reference_id, ledger.c.occurrence, ledger.c.delta_on_hand)
            .where(ledger.c.stock_id == stock, ledger.c.type == "RETURN")
            .order_by(ledger.c.id)
        )
    return [tuple(row) for row in rows]


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
    # The contract's reference for every return: the sale order's id, the second too.
    assert second["movements"][0]["referenceId"] == str(order)
    assert second["movements"][0]["onHandAfter"] == "10"
    # 3 sold, 3 returned: nothing left.
    assert third["movements"] == []
    assert [(e["field"], e["code"]) for e in third["userErrors"]] == [
        (["input", "lines", "0", "quantity"], "INVALID")
    ]
    assert third["userErrors"][0]["message"].startswith("only 0 left to return")
    assert await _on_hand(sessions, stock) == Decimal(10)
    assert await _returns(sessions, stock) == [
        (str(order), 1, Decimal(2)),
        (str(order), 2, Decimal(1)),
    ]
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


async def test_two_returns_racing_for_the_last_unit_one_wins(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    location, order, cookie, _, stock = await _sold(sessions)
    actor = Actor(MERCHANT_A, "till")
    await record_sale_return(
        sessions,
        actor,
        location_id=location,
        sale_order_id=order,
        lines=[SaleReturnLine(cookie, Decimal(2))],
    )

    async def last_unit() -> list[uuid.UUID] | DomainError:
        try:
            return await record_sale_return(
                sessions,
                actor,
                location_id=location,
                sale_order_id=order,
                lines=[SaleReturnLine(cookie, Decimal(1))],
            )
        except DomainError as error:
            return error

    outcomes = await asyncio.gather(*(last_unit() for _ in range(4)))

    won = [o for o in outcomes if isinstance(o, list)]
    lost = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(won) == 1
    assert len(lost) == 3
    for error in lost:
        assert [(p.code, p.field) for p in error.problems] == [
            (UserErrorCode.INVALID, ("input", "lines", 0, "quantity"))
        ]
    # 3 sold, 2 + 1 returned, under the sale order's id: 7 + 3 back on hand.
    assert await _on_hand(sessions, stock) == Decimal(7 + 3)
    assert await _returns(sessions, stock) == [
        (str(order), 1, Decimal(2)),
        (str(order), 2, Decimal(1)),
    ]


async def test_a_re_delivered_payment_is_still_one_sale_beside_the_returns(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The ledger's key for every other movement is as before: the sale order's SALE row
    stays one row, whatever returns were recorded under the same reference."""
    location, order, cookie, _, stock = await _sold(sessions)
    actor = Actor(MERCHANT_A, "till")
    for quantity in (1, 1):
        await record_sale_return(
            sessions,
            actor,
            location_id=location,
            sale_order_id=order,
            lines=[SaleReturnLine(cookie, Decimal(quantity))],
        )

    again = await apply_payment(
        sessions,
        PaymentSucceeded(
            event_id=uuid.uuid4(),
            merchant_id=MERCHANT_A,
            location_id=location,
            sale_order_id=order,
            items=(SaleItem(uuid.uuid4(), cookie, Decimal(3)),),
            occurred_at=datetime.now(UTC),
        ),
    )

    assert again.movements_applied == 0
    assert await _on_hand(sessions, stock) == Decimal(10 - 3 + 2)
    ledger = t.stock_movement
    async with sessions() as session:
        types = (
            await session.execute(
                select(ledger.c.type, ledger.c.occurrence)
                .where(ledger.c.stock_id == stock)
                .order_by(ledger.c.id)
            )
        ).all()
    # The seeded 10, the one sale, the two returns.
    assert [tuple(row) for row in types] == [
        ("ADJUSTMENT", 1),
        ("SALE", 1),
        ("RETURN", 1),
        ("RETURN", 2),
    ]
