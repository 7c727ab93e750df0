"""README's "close the day" operations, run as written against the seeded demo café:
suggestions -> draft -> submit -> receive short with a backorder -> valuation."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.dev_catalog import DEMO_MERCHANT_ID, MAIN
from app.dev_seed import seed_demo
from graphql_schema.ids import global_id
from tests.graphql.conftest import Gql

README = Path(__file__).resolve().parents[2] / "README.md"


def _operations() -> str:
    text = README.read_text()
    section = text[text.index("### Close the day") :]
    section = section[: section.index("\n## ")]
    return "\n".join(re.findall(r"```graphql\n(.*?)```", section, flags=re.S))


async def _run(gql: Gql, name: str, variables: dict[str, Any]) -> Any:
    result = await gql.schema.execute(
        _operations(),
        variable_values=variables,
        context_value=gql.context(DEMO_MERCHANT_ID),
        operation_name=name,
    )
    assert result.errors is None, result.errors
    return result.data


async def test_close_the_day_as_the_readme_shows_it(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    demo = await seed_demo(sessions)
    location = global_id("Location", demo.locations[MAIN])
    morning = datetime.now(UTC)

    suggestions = (await _run(gql, "Suggestions", {"l": location}))["reorderSuggestions"]
    milk = suggestions[0]
    assert (milk["vendor"]["name"], milk["packUnit"], milk["suggestedPacks"]) == (
        "Alpine Dairy",
        "case",
        "1",
    )
    draft = (
        await _run(
            gql,
            "Draft",
            {"l": location, "dairy": milk["vendor"]["id"], "milk": milk["stock"]["item"]["id"]},
        )
    )["purchaseOrderCreate"]
    order = draft["purchaseOrder"]
    submitted = (await _run(gql, "Submit", {"po": order["id"]}))["purchaseOrderSubmit"]
    received = (await _run(gql, "Receive", {"po": order["id"], "line": order["lines"][0]["id"]}))[
        "purchaseOrderReceive"
    ]
    worth = await _run(gql, "Worth", {"l": location, "morning": morning.isoformat()})

    assert draft["userErrors"] == []
    assert order["status"] == "DRAFT"
    assert submitted["purchaseOrder"]["status"] == "ORDERED"
    assert received["userErrors"] == []
    assert received["purchaseOrder"]["status"] == "RECEIVED"
    assert received["purchaseOrder"]["backorder"]["status"] == "ORDERED"
    assert received["purchaseOrder"]["backorder"]["lines"] == [
        {"quantityOrdered": "1", "unit": "case"}
    ]
    # Only milk has a cost (the dairy's case: 14.40 for 12,000 ml = 0.0012 a ml). This
    # morning 42,000 ml = 50.40; tonight's case at the same cost adds 14.40.
    assert Decimal(worth["morning"]["totalValue"]) == Decimal("50.4")
    assert Decimal(worth["now"]["totalValue"]) == Decimal("64.8")
    assert worth["now"]["currency"] == "EUR"
