"""The other list pages of issue 19, each beside a ceiling of its own (part of
`python -m bench graphql`):

- `inventoryItems(first: 100)` with `availableToSell(locationId)`, `recipe` (quantity and
  material) and `stocks`;
- `materials(first: 100)` with `stocks`.

Each ceiling is a plain Starlette + asyncpg app (one uvicorn worker, like the service)
that runs, per request, SQL giving the same rows (the page, its recipe lines with their
materials, the stocks of the page's items, the recipe materials' stock at the location)
and writes the same JSON by hand; availableToSell is the domain's rule
(app.domain.availability.available_to_sell) over those rows. Its answer is checked equal
to the service's before the load. The service runs uncached (the response cache and the
read gate off, reads waiting for a pooled connection as long as it takes), so every
request executes.

Reported per page: requests/s, worker CPU per page and per row (a node of the page), the
share of the ceiling's pages/s.
"""

from __future__ import annotations

import json
import os
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from bench.graphql_bench import MERCHANT, Load, load, post_once, serve

ROWS = 100
ITEMS_QUERY = """query Items($l: ID!) { inventoryItems(first: 100) { nodes {
  id name sku availableToSell(locationId: $l)
  recipe { quantity material { id name } }
  stocks { id onHand available }
} } }"""
MATERIALS_QUERY = """query Materials { materials(first: 100) { nodes {
  id name unit stocks { id onHand available }
} } }"""

ITEMS_SQL = """
SELECT id, name, sku, track_inventory, product_variant_id FROM inventory_item
WHERE merchant_id = $1 AND archived IS false ORDER BY id LIMIT 101"""
MATERIALS_SQL = """
SELECT id, name, unit FROM material
WHERE merchant_id = $1 AND archived IS false ORDER BY id LIMIT 101"""
RECIPE_SQL = """
SELECT r.owner_id, line.quantity, line.material_id, m.name AS material_name
FROM recipe r
JOIN recipe_line line ON line.recipe_id = r.id AND line.merchant_id = $1
JOIN material m ON m.id = line.material_id AND m.merchant_id = $1
WHERE r.merchant_id = $1 AND r.owner_type = 'PRODUCT_VARIANT' AND r.owner_id = ANY($2::uuid[])
ORDER BY r.owner_id, line.position, line.id"""
ITEM_STOCKS_SQL = """
SELECT inventory_item_id AS owner, id, on_hand, available, location_id FROM stock
WHERE merchant_id = $1 AND inventory_item_id = ANY($2::uuid[]) ORDER BY id"""
MATERIAL_STOCKS_SQL = """
SELECT material_id AS owner, id, on_hand, available, location_id FROM stock
WHERE merchant_id = $1 AND material_id = ANY($2::uuid[]) ORDER BY id"""
AT_LOCATION_SQL = """
SELECT material_id, available FROM stock
WHERE merchant_id = $1 AND location_id = $2 AND material_id = ANY($3::uuid[])"""


@dataclass
class Page:
    name: str
    query: str
    variables: dict[str, Any]
    factory: str  # the ceiling's uvicorn factory in this module
    ceiling: Load | None = None
    served: Load | None = None

    @property
    def body(self) -> str:
        return json.dumps({"query": self.query, "variables": self.variables})


# ---- the ceilings (uvicorn factories, run in subprocesses) ------------------------------


def _stocks_json(rows: list[Any]) -> dict[Any, list[dict[str, Any]]]:
    from app.domain.quantities import decimal_str
    from graphql_schema.ids import global_id

    found: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        found[row["owner"]].append(
            {
                "id": global_id("Stock", row["id"]),
                "onHand": decimal_str(row["on_hand"]),
                "available": decimal_str(row["available"]),
            }
        )
    return found


def _ceiling(answer_page: Any) -> Any:
    """A Starlette app answering /graphql with `answer_page(connection)` as JSON."""
    import asyncpg  # type: ignore[import-untyped]
    import orjson
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from app.cli.serve import freeze_startup_objects

    url = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    pool: Any = None

    async def answer(request: Request) -> Response:
        nonlocal pool
        await request.body()
        if pool is None:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=10)
        async with pool.acquire() as connection:
            data = await answer_page(connection)
        body = orjson.dumps({"data": data})  # the service's encoder (json_body.py)
        return Response(body, media_type="application/json")

    app = Starlette(routes=[Route("/graphql", answer, methods=["POST"])])
    freeze_startup_objects()
    return app


def items_ceiling() -> Any:
    from app.domain.availability import available_to_sell
    from app.domain.quantities import decimal_str
    from graphql_schema.ids import global_id

    location = uuid.UUID(os.environ["BENCH_LOCATION_ID"])

    async def page(connection: Any) -> dict[str, Any]:
        items = (await connection.fetch(ITEMS_SQL, MERCHANT))[:ROWS]
        variants = [item["product_variant_id"] for item in items]
        lines = await connection.fetch(RECIPE_SQL, MERCHANT, variants)
        stocks = await connection.fetch(ITEM_STOCKS_SQL, MERCHANT, [i["id"] for i in items])
        materials = list({line["material_id"] for line in lines})
        at_location = dict(await connection.fetch(AT_LOCATION_SQL, MERCHANT, location, materials))
        recipes: dict[Any, list[Any]] = defaultdict(list)
        for line in lines:
            recipes[line["owner_id"]].append(line)
        own = {s["owner"]: s["available"] for s in stocks if s["location_id"] == location}
        stocks_json = _stocks_json(stocks)
        nodes = []
        for item in items:
            recipe = recipes.get(item["product_variant_id"], [])
            limit = available_to_sell(
                tracked=item["track_inventory"],
                stock_available=own.get(item["id"]),
                recipe=[(at_location.get(ln["material_id"]), ln["quantity"]) for ln in recipe],
            )
            nodes.append(
                {
                    "id": global_id("InventoryItem", item["id"]),
                    "name": item["name"],
                    "sku": item["sku"],
                    "availableToSell": None if limit is None else decimal_str(limit),
                    "recipe": [
                        {
                            "quantity": decimal_str(ln["quantity"]),
                            "material": {
                                "id": global_id("Material", ln["material_id"]),
                                "name": ln["material_name"],
                            },
                        }
                        for ln in recipe
                    ],
                    "stocks": stocks_json.get(item["id"], []),
                }
            )
        return {"inventoryItems": {"nodes": nodes}}

    return _ceiling(page)


def materials_ceiling() -> Any:
    from graphql_schema.ids import global_id

    async def page(connection: Any) -> dict[str, Any]:
        materials = (await connection.fetch(MATERIALS_SQL, MERCHANT))[:ROWS]
        stocks = await connection.fetch(MATERIAL_STOCKS_SQL, MERCHANT, [m["id"] for m in materials])
        stocks_json = _stocks_json(stocks)
        nodes = [
            {
                "id": global_id("Material", m["id"]),
                "name": m["name"],
                "unit": m["unit"],
                "stocks": stocks_json.get(m["id"], []),
            }
            for m in materials
        ]
        return {"materials": {"nodes": nodes}}

    return _ceiling(page)


# ---- the run -----------------------------------------------------------------------------


def pages(location: uuid.UUID) -> list[Page]:
    from graphql_schema.ids import global_id

    return [
        Page(
            "inventoryItems(first: 100) { availableToSell recipe stocks }",
            ITEMS_QUERY,
            {"l": global_id("Location", location)},
            "items_ceiling",
        ),
        Page(
            "materials(first: 100) { stocks }",
            MATERIALS_QUERY,
            {},
            "materials_ceiling",
        ),
    ]


def _data(answer: bytes, root: str) -> Any:
    data = json.loads(answer)
    if "errors" in data or len(data["data"][root]["nodes"]) != ROWS:
        raise RuntimeError(f"unexpected answer: {answer[:500]!r}")
    return data["data"]


def run(
    service: Any, env: dict[str, str], token: str, location: uuid.UUID, args: Any
) -> list[Page]:
    """Each page on the uncached service (`service`, already serving) and on its ceiling,
    checked equal, then loaded one after the other."""
    measured = pages(location)
    for page in measured:
        root = "inventoryItems" if page.factory == "items_ceiling" else "materials"
        served = _data(post_once(service.url, page.body, token, root), root)
        for _ in range(20):
            post_once(service.url, page.body, token, root)
        ceiling_env = {**env, "BENCH_LOCATION_ID": str(location)}
        with serve(f"bench.graphql_pages:{page.factory}", ceiling_env) as ceiling:
            if _data(post_once(ceiling.url, page.body, token, root), root) != served:
                raise RuntimeError(
                    f"the ceiling's answer to {page.name} differs from the service's"
                )
            for _ in range(20):
                post_once(ceiling.url, page.body, token, root)
            page.ceiling = load(ceiling, page.body, token, args.concurrency, args.duration)
        page.served = load(service, page.body, token, args.concurrency, args.duration)
    return measured


def report(measured: list[Page]) -> str:
    lines = [
        "Other pages, uncached, each beside its own ceiling (the same SQL rows, the same JSON"
        " by hand), same run:",
        "",
        "| page | endpoint | pages/s | p99 ms | errors | worker CPU ms/page |"
        " worker CPU µs/row | share of the ceiling |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for page in measured:
        assert page.ceiling is not None
        assert page.served is not None
        share = page.served.pages_per_second / max(page.ceiling.pages_per_second, 1e-9)
        for name, result in (("ceiling", page.ceiling), ("/graphql", page.served)):
            lines.append(
                f"| {page.name} | {name} | {result.pages_per_second:.0f} |"
                f" {result.p99_ms:.1f} | {result.errors} | {result.worker_cpu_ms:.2f} |"
                f" {result.worker_cpu_ms * 1000 / ROWS:.1f} |"
                f" {share if name == '/graphql' else 1:.0%} |"
            )
    lines.append("")
    return "\n".join(lines)
