"""Merchant A's token against merchant B's ids, over HTTP to a served process: every GraphQL
query and mutation and every /v1 route answers exactly as for an unknown id, shows nothing
of B's, and leaves every row of B's byte for byte as it was.

The GraphQL table is tests/graphql/test_isolation.py's (every operation of the contract,
run there in process); here it runs over the real route, and a guard fails when the
served schema grows a root field the table does not cover.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
from graphql import OperationDefinitionNode, parse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.domain.enums import ItemType
from graphql_schema.ids import global_id
from tests.graphql import seed as gseed
from tests.graphql.isolation_seed import kitchen_objects
from tests.graphql.test_isolation import CASES, Objects, unknown_objects
from tests.reliability import api
from tests.reliability.processes import ServiceProcess
from tests.reliability.results import Report
from tests.reliability.state import merchant_rows
from tests.reliability.v1_isolation import V1_CASES, v1_table

Sessions = async_sessionmaker[AsyncSession]
# Root fields that take no id of an existing object: nothing of another merchant to name.
NO_FOREIGN_IDS = {
    "locationCreate",
    "materialCreate",
    "vendorCreate",
    "standardUnits",
    "__typename",
}


async def test_another_merchants_ids_answer_like_unknown_ids_in_every_operation_and_route(
    sessions: Sessions,
    served_app: ServiceProcess,
    make_token: Callable[..., str],
    report: Report,
) -> None:
    report.category, report.scenario = "Attacks", "cross-merchant ids (GraphQL + /v1)"
    merchant_a, merchant_b = uuid.uuid4(), uuid.uuid4()
    await gseed.location(sessions, merchant_a, "A main", is_default=True)
    async with api.client(served_app.url) as http:
        token_b = make_token(merchant_b, "owner", subject="merchant-b")
        theirs, names = await _merchant_b_objects(sessions, http, token_b, merchant_b)
        b_before = await merchant_rows(sessions, merchant_b)
        graphql_problems = {}
        for i, (name, document, variables) in enumerate(CASES):
            # A caller per case: the query budget is per caller.
            token_a = make_token(merchant_a, "owner", subject=f"merchant-a-{i}")
            with_theirs = await api.graphql(http, token_a, document, variables(theirs))
            with_unknown = await api.graphql(http, token_a, document, variables(unknown_objects()))
            problem = _compare(with_theirs, with_unknown, document, names, theirs)
            if problem:
                graphql_problems[name] = problem
        rest_problems = await v1_table(http, make_token, merchant_a, merchant_b, theirs, names)
        uncovered = await _root_fields(http, make_token(merchant_a, "owner", subject="schema"))
    b_after = await merchant_rows(sessions, merchant_b)
    covered = {f for _, document, _ in CASES for f in _fields_of(document)}
    missing = sorted(uncovered - covered - NO_FOREIGN_IDS)
    report.faults = f"{len(CASES)} GraphQL operations + {len(V1_CASES)} /v1 requests with B's ids"
    report.events_processed = 2 * len(CASES) + len(V1_CASES)
    report.events_lost = 0
    report.duplicates_applied = 0
    report.details.update(
        graphql_problems=graphql_problems,
        rest_problems=rest_problems,
        uncovered_fields=missing,
        b_tables_changed=sorted(k for k in b_before if b_before[k] != b_after.get(k)),
    )
    report.notes = (
        f"{len(CASES) - len(graphql_problems)}/{len(CASES)} GraphQL operations and "
        f"{len(V1_CASES) - len(rest_problems)}/{len(V1_CASES)} /v1 requests refused; "
        + ("B's rows unchanged" if b_after == b_before else "B's ROWS CHANGED")
    )

    assert graphql_problems == {}
    assert rest_problems == {}
    assert b_after == b_before
    assert missing == [], "root fields the isolation table does not cover"


def _compare(
    theirs: httpx.Response,
    unknown: httpx.Response,
    document: str,
    names: list[str],
    objects: Objects,
) -> str | None:
    if theirs.status_code != 200 or unknown.status_code != 200:
        return f"HTTP {theirs.status_code} / {unknown.status_code}"
    data_theirs, data_unknown = theirs.json().get("data"), unknown.json().get("data")
    if theirs.json().get("errors"):
        return f"errors {theirs.json()['errors']}"
    if data_theirs != data_unknown:
        return f"differs from an unknown id: {data_theirs} vs {data_unknown}"
    if leaked := [n for n in names if n in theirs.text]:
        return f"shows B's {leaked}"
    if document.startswith("mutation"):
        [payload] = data_theirs.values()
        if "NOT_FOUND" not in {e["code"] for e in payload["userErrors"]}:
            return f"no NOT_FOUND: {payload}"
    return None


async def _merchant_b_objects(
    sessions: Sessions, http: httpx.AsyncClient, token: str, merchant: uuid.UUID
) -> tuple[Objects, list[str]]:
    """B's objects of every kind (B's names all start with "B-secret")."""
    bar = await gseed.location(sessions, merchant, "B-secret bar")
    store = await gseed.location(sessions, merchant, "B-secret store")
    flour = await gseed.material(sessions, merchant, "B-secret flour")
    item, variant = await gseed.item(sessions, merchant, "B-secret cake")
    stock = await gseed.stock(sessions, merchant, store, ItemType.MATERIAL, flour, "50")
    vendor = await gseed.vendor(sessions, merchant, "B-secret mill")
    option = uuid.uuid4()
    line = [{"materialId": global_id("Material", flour), "quantity": "1"}]

    async def mutate(document: str, variables: dict[str, Any]) -> dict[str, Any]:
        data = api.data_of(await api.graphql(http, token, document, variables))
        [payload] = data.values()
        assert payload["userErrors"] == [], payload
        return dict(payload)

    await mutate(
        "mutation($o: ID!, $l: [RecipeLineInput!]!) { modifierRecipeSet(modifierOptionId: $o,"
        " lines: $l) { userErrors { code } } }",
        {"o": str(option), "l": line},
    )
    order = await mutate(
        "mutation($i: PurchaseOrderInput!) { purchaseOrderCreate(input: $i) {"
        " purchaseOrder { id lines { id } } userErrors { code } } }",
        {
            "i": {
                "locationId": global_id("Location", bar),
                "vendorId": global_id("Vendor", vendor),
                "currency": "EUR",
                "lines": [
                    {
                        "itemType": "MATERIAL",
                        "itemId": global_id("Material", flour),
                        "quantityOrdered": "5",
                        "unitCost": "1",
                    }
                ],
            }
        },
    )
    transfer = await mutate(
        "mutation($i: TransferInput!) { materialTransfer(input: $i) { transfer { id }"
        " userErrors { code } } }",
        {
            "i": {
                "fromLocationId": global_id("Location", store),
                "toLocationId": global_id("Location", bar),
                "lines": line,
            }
        },
    )
    movements = api.data_of(
        await api.graphql(http, token, "{ stockMovements(first: 1) { nodes { id } } }")
    )
    kitchen = await kitchen_objects(
        sessions,
        merchant,
        mutate,
        prefix="B-secret ",
        bar=bar,
        store=store,
        flour=flour,
        item=item,
        variant=variant,
        flour_stock=stock,
    )
    objects = Objects(
        location=global_id("Location", bar),
        other_location=global_id("Location", store),
        material=global_id("Material", flour),
        item=global_id("InventoryItem", item),
        variant=str(variant),
        stock=global_id("Stock", stock),
        movement=movements["stockMovements"]["nodes"][0]["id"],
        vendor=global_id("Vendor", vendor),
        order=order["purchaseOrder"]["id"],
        order_line=order["purchaseOrder"]["lines"][0]["id"],
        transfer=transfer["transfer"]["id"],
        modifier_option=str(option),
        prep_material=kitchen.prep_material,
        production=kitchen.production,
        count_session=kitchen.count_session,
        sale_order=kitchen.sale_order,
    )
    raw_ids = [str(x) for x in (bar, store, flour, item, stock, vendor)]
    return objects, ["B-secret", *raw_ids, *kitchen.raw_ids]


async def _root_fields(http: httpx.AsyncClient, token: str) -> set[str]:
    """Query and Mutation root fields of the served schema (development mode)."""
    document = "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }"
    schema = api.data_of(await api.graphql(http, token, document))["__schema"]
    return {
        field["name"]
        for root in (schema["queryType"], schema["mutationType"])
        for field in root["fields"]
    }


def _fields_of(document: str) -> set[str]:
    operation = parse(document).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return {selection.name.value for selection in operation.selection_set.selections}  # type: ignore[attr-defined]
