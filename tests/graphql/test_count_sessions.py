# ruff: noqa: E501  (GraphQL documents read better on one line)
"""Count sessions over GraphQL: every rule of the contract's COUNT SESSIONS header."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.queries.ledger import check_ledger
from app.domain.enums import ItemType
from graphql_schema.ids import global_id
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Gql

ERRORS = "userErrors { field message code }"
SESSION = f"countSession {{ id uuid status scope countedAt createdAt appliedAt summary {{ linesInScope linesCounted linesWithVariance varianceValue }} }} {ERRORS}"
START = f"mutation($i: CountSessionInput!, $k: String) {{ countSessionStart(input: $i, idempotencyKey: $k) {{ {SESSION} }} }}"
RECORD = f"mutation($id: ID!, $e: [CountEntryInput!]!) {{ countSessionRecord(id: $id, entries: $e) {{ {SESSION} }} }}"
APPLY = f"mutation($id: ID!, $z: Boolean, $k: String) {{ countSessionApply(id: $id, uncountedAsZero: $z, idempotencyKey: $k) {{ {SESSION} }} }}"
CANCEL = f"mutation($id: ID!) {{ countSessionCancel(id: $id) {{ {SESSION} }} }}"
LINES = """query($id: ID!, $u: Boolean, $v: Boolean) { countSession(id: $id) { lines(first: 100, uncountedOnly: $u, varianceOnly: $v) {
  totalCount nodes { stock { id onHand } counted expected variance unitCost varianceValue
  entries { area quantity unit quantityBase actor } movement { type referenceType referenceId deltaOnHand onHandAfter } } } } }"""
ADJUST = "mutation($i: StockAdjustInput!) { stockAdjust(input: $i) { userErrors { message } } }"


class Shop:
    def __init__(self, gql: Gql, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.gql, self.sessions = gql, sessions

    async def setup(self) -> None:
        s = self.sessions
        self.location = await seed.location(s, MERCHANT_A)
        self.other_location = await seed.location(s, MERCHANT_A, "Other")
        self.milk = await seed.material(s, MERCHANT_A, "Milk", "ml")
        self.flour = await seed.material(s, MERCHANT_A, "Flour", "g")
        self.gone = await seed.material(s, MERCHANT_A, "Gone", "g")
        self.cookie, _ = await seed.item(s, MERCHANT_A, "Cookie")
        async with s.begin() as session:
            await session.execute(
                update(t.material)
                .where(t.material.c.id == self.milk)
                .values(
                    units=[{"name": "bottle", "quantity": "750", "unit": "ml"}],
                    average_unit_cost=Decimal("0.002"),
                )
            )
        self.milk_stock = await seed.stock(
            s, MERCHANT_A, self.location, ItemType.MATERIAL, self.milk, "3000"
        )
        self.flour_stock = await seed.stock(
            s, MERCHANT_A, self.location, ItemType.MATERIAL, self.flour, "500"
        )
        self.gone_stock = await seed.stock(
            s, MERCHANT_A, self.location, ItemType.MATERIAL, self.gone, "1"
        )
        self.cookie_stock = await seed.stock(
            s, MERCHANT_A, self.location, ItemType.PRODUCT, self.cookie, "12"
        )
        self.elsewhere = await seed.stock(
            s, MERCHANT_A, self.other_location, ItemType.MATERIAL, self.milk, "7"
        )
        async with s.begin() as session:
            await session.execute(
                update(t.material).where(t.material.c.id == self.gone).values(archived=True)
            )

    async def start(self, key: str | None = None, **given: Any) -> Any:
        location = global_id("Location", self.location)
        data = await self.gql.data(START, {"i": {"locationId": location, **given}, "k": key})
        return data["countSessionStart"]

    async def record(self, session_id: str, *entries: dict[str, Any]) -> Any:
        return (await self.gql.data(RECORD, {"id": session_id, "e": list(entries)}))[
            "countSessionRecord"
        ]

    async def apply(self, session_id: str, zero: bool = False, key: str | None = None) -> Any:
        return (await self.gql.data(APPLY, {"id": session_id, "z": zero, "k": key}))[
            "countSessionApply"
        ]

    async def lines(self, session_id: str, **filters: bool) -> Any:
        data = await self.gql.data(
            LINES, {"id": session_id, "u": filters.get("u", False), "v": filters.get("v", False)}
        )
        return data["countSession"]["lines"]

    async def adjust(self, stock_id: uuid.UUID, delta: str) -> None:
        data = await self.gql.data(
            ADJUST, {"i": {"stock": ref(stock_id), "delta": delta, "reason": "service"}}
        )
        assert data["stockAdjust"]["userErrors"] == []

    async def on_hand(self, stock_id: uuid.UUID) -> Decimal:
        async with self.sessions() as session:
            value = (
                await session.execute(select(t.stock.c.on_hand).where(t.stock.c.id == stock_id))
            ).scalar_one()
        assert isinstance(value, Decimal)
        return value


def ref(stock_id: uuid.UUID) -> dict[str, str]:
    return {"stockId": global_id("Stock", stock_id)}


async def shop_of(gql: Gql, sessions: async_sessionmaker[AsyncSession]) -> Shop:
    shop = Shop(gql, sessions)
    await shop.setup()
    return shop


async def test_a_full_session_takes_in_every_live_stock_of_the_location_at_start(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop = await shop_of(gql, sessions)

    started = await shop.start(scope="FULL")
    materials = await shop.start(scope="FULL", itemType="MATERIAL")

    assert started["userErrors"] == []
    session = started["countSession"]
    # Milk, flour and the cookie; not the archived material, not the other location's milk.
    assert session["summary"] == {
        "linesInScope": 3,
        "linesCounted": 0,
        "linesWithVariance": 0,
        "varianceValue": None,
    }
    assert session["status"] == "OPEN"
    assert session["scope"] == "FULL"
    assert session["countedAt"] == session["createdAt"]
    assert uuid.UUID(session["uuid"])
    assert materials["countSession"]["summary"]["linesInScope"] == 2


async def test_entries_per_area_in_any_unit_sum_and_replace_and_zero_is_a_count(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop = await shop_of(gql, sessions)
    session_id = (await shop.start(scope="PARTIAL"))["countSession"]["id"]

    await shop.record(
        session_id,
        {"stock": ref(shop.milk_stock), "area": "walk-in", "quantity": "2", "unit": "bottle"},
        {"stock": ref(shop.milk_stock), "area": "bar", "quantity": "100"},
        {"stock": ref(shop.flour_stock), "quantity": "0"},
    )
    # The bar is counted again: 250 ml replaces 100 ml.
    recorded = await shop.record(
        session_id,
        {"stock": ref(shop.milk_stock), "area": " bar ", "quantity": "250", "unit": "ml"},
    )

    assert recorded["userErrors"] == []
    assert recorded["countSession"]["summary"] == {
        "linesInScope": 2,
        "linesCounted": 2,
        # milk: 1750 counted vs 3000 expected; flour: 0 vs 500.
        "linesWithVariance": 2,
        # Only milk has an average cost: (1750 - 3000) x 0.002.
        "varianceValue": "-2.5",
    }
    lines = {n["stock"]["id"]: n for n in (await shop.lines(session_id))["nodes"]}
    milk = lines[global_id("Stock", shop.milk_stock)]
    assert milk["counted"] == "1750"
    assert milk["expected"] == "3000"
    assert milk["variance"] == "-1250"
    assert milk["unitCost"] == "0.002"
    assert milk["varianceValue"] == "-2.5"
    assert [(e["area"], e["quantity"], e["unit"], e["quantityBase"]) for e in milk["entries"]] == [
        ("bar", "250", "ml", "250"),
        ("walk-in", "2", "bottle", "1500"),
    ]
    flour = lines[global_id("Stock", shop.flour_stock)]
    assert flour["counted"] == "0"
    assert flour["variance"] == "-500"
    assert flour["entries"][0]["area"] is None


async def test_bad_entries_are_refused_naming_each_field_and_nothing_is_recorded(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop = await shop_of(gql, sessions)
    session_id = (await shop.start(scope="PARTIAL"))["countSession"]["id"]

    refused = await shop.record(
        session_id,
        {"stock": ref(shop.flour_stock), "quantity": "5"},
        {"stock": ref(shop.elsewhere), "quantity": "1"},
        {"stock": ref(shop.milk_stock), "quantity": "-1"},
        {"stock": ref(shop.milk_stock), "quantity": "1", "unit": "kg"},
        {
            "stock": {
                "locationId": global_id("Location", shop.other_location),
                "itemType": "MATERIAL",
                "itemId": global_id("Material", shop.milk),
            },
            "quantity": "1",
        },
    )

    assert refused["countSession"] is None
    assert sorted((e["field"], e["code"]) for e in refused["userErrors"]) == [
        (["entries", "1", "stock"], "INVALID"),
        (["entries", "2", "quantity"], "INVALID"),
        (["entries", "3", "unit"], "UNIT_MISMATCH"),
        (["entries", "4", "stock"], "INVALID"),
    ]
    assert (await shop.lines(session_id))["totalCount"] == 0


async def test_counted_at_in_the_future_is_invalid(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop = await shop_of(gql, sessions)

    refused = await shop.start(
        scope="FULL", countedAt=(datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    )

    assert refused["countSession"] is None
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        (["input", "countedAt"], "INVALID")
    ]


async def test_applying_keeps_what_moved_after_counted_at_on_top_of_the_count(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop = await shop_of(gql, sessions)
    counted_at = datetime.now(UTC)
    session = (await shop.start(scope="PARTIAL", countedAt=counted_at.isoformat(), name="Friday"))[
        "countSession"
    ]
    # During the count: 400 ml of milk sold and a delivery of 1000 ml after the moment counted.
    await shop.adjust(shop.milk_stock, "-400")
    await shop.adjust(shop.milk_stock, "1000")
    await shop.record(session["id"], {"stock": ref(shop.milk_stock), "quantity": "2800"})

    applied = await shop.apply(session["id"])

    assert applied["userErrors"] == []
    assert applied["countSession"]["status"] == "APPLIED"
    assert applied["countSession"]["appliedAt"]
    # 3000 at the moment, 2800 counted: -200, on top of the 3600 there now.
    assert await shop.on_hand(shop.milk_stock) == Decimal(2800 - 400 + 1000)
    [line] = (await shop.lines(session["id"]))["nodes"]
    assert line["expected"] == "3000"
    assert line["variance"] == "-200"
    assert line["movement"] == {
        "type": "COUNT",
        "referenceType": "COUNT_SESSION",
        "referenceId": session["uuid"],
        "deltaOnHand": "-200",
        "onHandAfter": "3400",
    }
    async with sessions() as db:
        assert (await check_ledger(db, merchant_id=MERCHANT_A)).discrepancies == []


async def test_a_full_session_refuses_naming_the_uncounted_unless_they_count_as_zero(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop = await shop_of(gql, sessions)
    session_id = (await shop.start(scope="FULL"))["countSession"]["id"]
    await shop.record(session_id, {"stock": ref(shop.milk_stock), "quantity": "3000"})

    refused = await shop.apply(session_id)
    uncounted = await shop.lines(session_id, u=True)
    applied = await shop.apply(session_id, zero=True)

    [error] = refused["userErrors"]
    assert error["code"] == "INVALID_STATE"
    assert error["message"].startswith("2 stocks are not counted: ")
    assert "Flour" in error["message"]
    assert "Cookie" in error["message"]
    assert "Milk" not in error["message"]
    assert uncounted["totalCount"] == 2
    assert applied["userErrors"] == []
    assert applied["countSession"]["summary"] == {
        "linesInScope": 3,
        "linesCounted": 3,
        "linesWithVariance": 2,
        "varianceValue": "0",
    }
    assert [
        await shop.on_hand(s) for s in (shop.milk_stock, shop.flour_stock, shop.cookie_stock)
    ] == [3000, 0, 0]
    # A matching count still writes its COUNT movement (delta 0): the history shows it was counted.
    nodes = (await shop.lines(session_id))["nodes"]
    assert sorted(n["movement"]["deltaOnHand"] for n in nodes) == ["-12", "-500", "0"]
    assert (await shop.lines(session_id, v=True))["totalCount"] == 2


async def test_a_partial_session_applies_counted_lines_only(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop = await shop_of(gql, sessions)
    session_id = (
        await shop.start(
            scope="PARTIAL",
            itemIds=[global_id("Material", shop.milk), global_id("Material", shop.flour)],
        )
    )["countSession"]["id"]
    await shop.record(
        session_id,
        {
            "stock": {
                "locationId": global_id("Location", shop.location),
                "itemType": "MATERIAL",
                "itemId": global_id("Material", shop.flour),
            },
            "quantity": "450",
        },
    )

    applied = await shop.apply(session_id)

    assert applied["countSession"]["summary"]["linesInScope"] == 2
    assert await shop.on_hand(shop.flour_stock) == Decimal(450)
    assert await shop.on_hand(shop.milk_stock) == Decimal(3000)
    uncounted = (await shop.lines(session_id, u=True))["nodes"]
    assert [n["movement"] for n in uncounted] == [None]


async def test_applied_or_cancelled_sessions_take_nothing_more_and_apply_replays_by_key(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop = await shop_of(gql, sessions)
    applied_id = (await shop.start(scope="PARTIAL"))["countSession"]["id"]
    await shop.record(applied_id, {"stock": ref(shop.flour_stock), "quantity": "480"})
    first = await shop.apply(applied_id, key="apply-1")
    cancelled_id = (await shop.start(scope="PARTIAL"))["countSession"]["id"]
    cancelled = (await gql.data(CANCEL, {"id": cancelled_id}))["countSessionCancel"]

    replay = await shop.apply(applied_id, key="apply-1")
    again = await shop.apply(applied_id)
    late = await shop.record(applied_id, {"stock": ref(shop.flour_stock), "quantity": "1"})
    late_cancelled = await shop.record(
        cancelled_id, {"stock": ref(shop.flour_stock), "quantity": "1"}
    )

    assert cancelled["countSession"]["status"] == "CANCELLED"
    assert replay == first
    assert await shop.on_hand(shop.flour_stock) == Decimal(480)
    for refused in (again, late, late_cancelled):
        assert [e["code"] for e in refused["userErrors"]] == ["INVALID_STATE"]
    sessions_listed = await gql.data(
        "query($l: ID!) { applied: countSessions(locationId: $l, status: APPLIED) { totalCount } all: countSessions(locationId: $l) { totalCount } }",
        {"l": global_id("Location", shop.location)},
    )
    assert sessions_listed == {"applied": {"totalCount": 1}, "all": {"totalCount": 2}}


async def test_start_replays_by_idempotency_key(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop = await shop_of(gql, sessions)

    first = await shop.start(scope="FULL", key="start-1")
    second = await shop.start(scope="FULL", key="start-1")

    assert first["countSession"]["id"] == second["countSession"]["id"]


async def test_a_full_session_takes_in_any_stock_counted_in_it(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop = await shop_of(gql, sessions)
    session_id = (await shop.start(scope="FULL", itemType="MATERIAL"))["countSession"]["id"]

    recorded = await shop.record(session_id, {"stock": ref(shop.cookie_stock), "quantity": "11"})

    # Milk and flour from the start, the cookie since it was counted.
    assert recorded["countSession"]["summary"]["linesInScope"] == 3
    assert recorded["countSession"]["summary"]["linesCounted"] == 1
