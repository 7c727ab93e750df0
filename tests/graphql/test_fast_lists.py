"""The list plan answers exactly what graphql-core's generic path answers.

On the real schema over seeded stocks (varied selections: aliases, fragments, @skip and
@include, __typename, unions, edges, backward pages, filters, lists it must leave to
graphql-core), and on a small schema built to make the fast pass give up mid-list
(nulls in non-null fields, failing serializers, wrong classes, awaitables, middleware).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, NewType, TypeVar

import pytest
import strawberry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from app.db.queries import incoming
from app.domain.enums import ItemType
from app.settings import Settings
from graphql_schema.execution import BatchedListExecutor
from graphql_schema.schema import build_schema
from graphql_schema.stocks import queries as stock_queries
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, MERCHANT_B, Gql


@pytest.fixture(scope="module")
def schema(settings: Settings) -> strawberry.Schema:
    # This module tests the fast path itself: on, whatever the environment switches off.
    return build_schema(settings.model_copy(update={"graphql_fast_execution": True}))


GENERIC = StrawberryGraphQLCoreExecutionContext
F = TypeVar("F", bound=Callable[..., Any])


def answer(result: Any) -> str:
    """Data (in response order) and errors, as a client would receive them."""
    errors = [error.formatted for error in result.errors or ()]
    return json.dumps({"data": result.data, "errors": errors})


@pytest.fixture
def gql(gql: Gql, settings: Settings) -> Gql:
    """The plan on, whatever GRAPHQL_FAST_EXECUTION says: these tests are the plan's."""
    on = settings.model_copy(update={"graphql_fast_execution": True})
    return Gql(build_schema(on), gql.settings, gql.sessions, gql.identity)


@pytest.fixture
def generic_gql(gql: Gql, settings: Settings) -> Gql:
    schema = build_schema(settings)
    schema.execution_context_class = GENERIC
    return Gql(schema, gql.settings, gql.sessions, gql.identity)


@pytest.fixture
async def stocks(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Stocks of both kinds over two locations, some thresholds, another merchant's too."""
    bar = await seed.location(sessions, MERCHANT_A, "Bar", is_default=True)
    kitchen = await seed.location(sessions, MERCHANT_A, "Kitchen")
    for i, at in enumerate((bar, kitchen, bar)):
        flour = await seed.material(sessions, MERCHANT_A, f"Flour {i}", unit="kg")
        cake, _ = await seed.item(sessions, MERCHANT_A, f"Cake {i}", track=i != 1)
        threshold = "5" if i else None
        await seed.stock(sessions, MERCHANT_A, at, ItemType.MATERIAL, flour, f"{i}.250")
        await seed.stock(sessions, MERCHANT_A, at, ItemType.PRODUCT, cake, "3", threshold=threshold)
    elsewhere = await seed.location(sessions, MERCHANT_B, "Elsewhere")
    other = await seed.material(sessions, MERCHANT_B, "Sugar")
    await seed.stock(sessions, MERCHANT_B, elsewhere, ItemType.MATERIAL, other, "1")


ITEM = """item {
  __typename
  ... on InventoryItem {
    id pk: id productVariantId sku name trackInventory unit archived createdAt updatedAt
  }
  ... on Material { id name sku unit archived averageUnitCost createdAt updatedAt }
}"""
LOCATION = "location { id name code address isDefault archived createdAt }"

QUERIES = [
    # everything a stock has, leaf fields, relations and fields with resolvers
    f"""{{ stocks(first: 50) {{ totalCount nodes {{
      __typename id itemType onHand reserved available incoming lowStockThreshold lowStock
      version updatedAt {LOCATION} {ITEM} }} }} }}""",
    # the plain part only: the fast pass takes the whole list
    f"""{{ stocks(first: 50) {{ nodes {{
      id itemType onHand reserved available lowStockThreshold version updatedAt
      {LOCATION} {ITEM} }} }} }}""",
    # aliases, a field asked twice, merged sub-selections
    """{ stocks { nodes { a: id b: id id onHand x: location { n: name name } x: location { id }
      item { ... on Material { u: unit } ... on InventoryItem { u: name } } } } }""",
    # named and inline fragments, interface conditions
    """query { stocks(first: 4) { nodes { ...S ... on Node { id } item { ... on Node { id }
      ...M } } } }
    fragment S on Stock { onHand location { ... on Location { name } } }
    fragment M on Material { unit name }""",
    # edges beside nodes, pageInfo, a backward page
    f"""{{ stocks(last: 3) {{ pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
      edges {{ cursor node {{ id onHand {ITEM} }} }} nodes {{ id {LOCATION} }} }} }}""",
    # filters
    """{ stocks(itemType: MATERIAL) { nodes { id item { __typename } } } }""",
    """{ stocks(lowStockOnly: true) { nodes { id lowStockThreshold location { name } } } }""",
    # lists the fast pass leaves to graphql-core (arguments), with fast lists inside
    f"""{{ locations {{ nodes {{ name stocks(first: 2) {{ nodes {{ id {ITEM} }} }} }} }} }}""",
    """{ stocks { nodes { id item { ... on Material { stocks { id onHand } } } } } }""",
    """{ inventoryItems { nodes { id name stocks { id location { name } } } } }""",
    # incoming through the loader (the stocks of items, not a stocks page)
    """{ inventoryItems { nodes { id stocks { id incoming lowStock } } } }""",
    # the relations of stocks no page joined: loaded for the whole list (Stock's columns)
    f"""{{ materials {{ nodes {{ id stocks {{ id incoming lowStock {ITEM} {LOCATION} }} }} }} }}""",
    """{ materials { nodes { id name sku unit archived } } }""",
]


@pytest.mark.parametrize("query", QUERIES)
async def test_fast_and_generic_executors_answer_alike(
    stocks: None, gql: Gql, generic_gql: Gql, query: str
) -> None:
    fast = await gql(query)
    generic = await generic_gql(query)

    assert fast.errors is None, fast.errors
    assert answer(fast) == answer(generic)


@pytest.mark.parametrize("shown", [True, False])
async def test_skip_and_include_follow_the_variables(
    stocks: None, gql: Gql, generic_gql: Gql, shown: bool
) -> None:
    query = """query($shown: Boolean!) { stocks { nodes {
      id @include(if: $shown) onHand @skip(if: $shown)
      location @include(if: $shown) { name } item { ... on Material @skip(if: $shown) { unit } }
    } } }"""

    fast = await gql(query, {"shown": shown})

    assert answer(fast) == answer(await generic_gql(query, {"shown": shown}))
    node = fast.data["stocks"]["nodes"][0] if fast.data else {}
    assert ("id" in node, "onHand" in node) == (shown, not shown)


async def test_a_page_built_from_the_join_matches_each_stock_read_on_its_own(
    stocks: None, gql: Gql
) -> None:
    page = await gql.data(f"{{ stocks {{ nodes {{ id {LOCATION} {ITEM} }} }} }}")
    nodes = page["stocks"]["nodes"]
    alone = [
        (await gql.data(f'{{ stock(id: "{n["id"]}") {{ id {LOCATION} {ITEM} }} }}'))["stock"]
        for n in nodes
    ]

    assert len(nodes) == 6
    assert nodes == alone


async def test_the_fast_pass_completes_the_page_without_a_field_resolution_per_field(
    stocks: None, gql: Gql, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    execute_field = BatchedListExecutor.execute_field

    def counted(self: BatchedListExecutor, *args: Any) -> Any:
        nonlocal calls
        calls += 1
        return execute_field(self, *args)

    monkeypatch.setattr(BatchedListExecutor, "execute_field", counted)

    await gql.data(f"{{ stocks {{ nodes {{ id onHand {LOCATION} {ITEM} }} }} }}")

    assert calls == 2  # stocks and its nodes; the 6 stocks' 14 fields each come in one pass


async def test_the_dashboard_page_resolves_each_field_once_for_the_whole_list(
    stocks: None, gql: Gql, generic_gql: Gql, monkeypatch: pytest.MonkeyPatch
) -> None:
    """incoming and lowStock (resolvers) keep the page on the plan: its 6 stocks' incoming
    quantities come with the page's own statement (stocks/page.py, not the loader), and no
    field goes through graphql-core."""
    fields = batches = 0
    execute_field = BatchedListExecutor.execute_field
    incoming_by_stock_id = incoming.incoming_by_stock_id

    def counted_field(self: BatchedListExecutor, *args: Any) -> Any:
        nonlocal fields
        fields += 1
        return execute_field(self, *args)

    async def counted_batch(*args: Any) -> Any:
        nonlocal batches
        batches += 1
        return await incoming_by_stock_id(*args)

    query = f"""{{ stocks {{ nodes {{
      id onHand reserved available incoming lowStock {ITEM} {LOCATION} }} }} }}"""
    generic = await generic_gql(query)
    monkeypatch.setattr(BatchedListExecutor, "execute_field", counted_field)
    monkeypatch.setattr(incoming, "incoming_by_stock_id", counted_batch)

    fast = await gql(query)

    assert answer(fast) == answer(generic)
    assert fields == 2  # stocks and its nodes
    assert batches == 0


RECIPE_SET = """mutation($v: ID!, $lines: [RecipeLineInput!]!) {
  recipeSet(productVariantId: $v, lines: $lines) { userErrors { code } } }"""


async def test_batched_fields_answer_as_their_resolvers_with_no_field_through_graphql_core(
    stocks: None, gql: Gql, generic_gql: Gql, monkeypatch: pytest.MonkeyPatch
) -> None:
    """recipe, its lines' material and enteredUnit, and the items' and materials' stocks are
    resolved once per list (list_plan/batch.py): the same answer as each object's resolver
    through graphql-core, the lines in recipe order."""
    items = await gql.data("{ inventoryItems { nodes { productVariantId } } }")
    materials = (await gql.data("{ materials { nodes { id } } }"))["materials"]["nodes"]
    variants = [node["productVariantId"] for node in items["inventoryItems"]["nodes"]]
    for at, variant in enumerate(variants):
        # Item i uses materials i..0 (the last first), 1, 2 or 3 lines, a unit on one line.
        lines = [
            {"materialId": material["id"], "quantity": f"{k + 1}.5"}
            for k, material in enumerate(reversed(materials[: at + 1]))
        ]
        lines[0]["unit"] = "g"
        data = await gql.data(RECIPE_SET, {"v": variant, "lines": lines})
        assert data["recipeSet"]["userErrors"] == []
    kitchen = (await gql.data("{ locations { nodes { id name } } }"))["locations"]["nodes"]
    at_kitchen = next(node["id"] for node in kitchen if node["name"] == "Kitchen")
    query = f"""{{ inventoryItems {{ nodes {{ id stocks {{ id onHand }}
        recipe {{ quantity enteredQuantity enteredUnit material {{ id name stocks {{ id }} }} }}
      }} }}
      materials {{ nodes {{ id here: stocks(locationId: "{at_kitchen}") {{ id }} }} }} }}"""
    fields = 0
    execute_field = BatchedListExecutor.execute_field

    def counted_field(self: BatchedListExecutor, *args: Any) -> Any:
        nonlocal fields
        fields += 1
        return execute_field(self, *args)

    generic = await generic_gql(query)
    monkeypatch.setattr(BatchedListExecutor, "execute_field", counted_field)

    fast = await gql(query)

    assert fast.errors is None, fast.errors
    assert answer(fast) == answer(generic)
    assert fields == 4  # the two connections and their nodes
    nodes = fast.data["inventoryItems"]["nodes"] if fast.data else []
    assert [len(node["recipe"]) for node in nodes] == [1, 2, 3]
    assert [line["enteredUnit"] for line in nodes[2]["recipe"]] == ["g", "kg", "kg"]


ADJUST = """mutation($i: StockAdjustInput!) { stockAdjust(input: $i) { userErrors { code } } }"""
MOVEMENTS_PAGE = """{ pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  edges { cursor node { id deltaOnHand onHandAfter } } nodes { id } totalCount }"""


async def test_the_movements_of_a_page_of_stocks_are_read_together_as_each_stocks(
    stocks: None, gql: Gql, generic_gql: Gql, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stock.movements on a page of stocks is one statement for all of them (batched), and
    their totalCounts another, answering each stock's page as its own connection does:
    forward, backward and from a cursor, stocks with no movement among them."""
    nodes = (await gql.data("{ stocks { nodes { id } } }"))["stocks"]["nodes"]
    for k, node in enumerate(nodes):
        for j in range(k % 4):  # 0 to 3 movements a stock
            change = {"stock": {"stockId": node["id"]}, "delta": f"{j + 1}", "reason": "t"}
            data = await gql.data(ADJUST, {"i": change})
            assert data["stockAdjust"]["userErrors"] == []
    third = nodes[3]["id"]
    history = await gql.data(
        "query($s: ID!) { stockMovements(stockId: $s) { edges { cursor } } }", {"s": third}
    )
    cursor = history["stockMovements"]["edges"][0]["cursor"]
    reads = 0
    execute = AsyncSession.execute

    async def counted(self: AsyncSession, statement: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal reads
        reads += "stock_movement" in str(statement)  # the page of stocks is not counted
        return await execute(self, statement, *args, **kwargs)

    for arguments in ("first: 2", "last: 2", f'first: 5, after: "{cursor}"', "first: 0"):
        query = f"{{ stocks {{ nodes {{ id movements({arguments}) {MOVEMENTS_PAGE} }} }} }}"
        generic = await generic_gql(query)
        monkeypatch.setattr(AsyncSession, "execute", counted)
        reads = 0
        fast = await gql(query)
        monkeypatch.setattr(AsyncSession, "execute", execute)

        assert fast.errors is None, fast.errors
        assert answer(fast) == answer(generic), arguments
        # The pages in one statement, the totalCounts in another.
        assert reads == 2, arguments


async def test_each_location_of_a_page_of_stocks_reads_its_stocks_once(
    stocks: None, gql: Gql, generic_gql: Gql, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Location.stocks under a page of stocks: one page per location (the fixture's two),
    not one per stock, answering as graphql-core's per-object resolvers."""
    pages = 0
    fetch = stock_queries.fetch_stocks_page

    async def counted(*args: Any) -> Any:
        nonlocal pages
        pages += 1
        return await fetch(*args)

    query = """{ stocks { nodes { id location { name stocks(first: 2, itemType: MATERIAL) {
      pageInfo { hasNextPage endCursor } nodes { id onHand item { __typename } } } } } } }"""
    generic = await generic_gql(query)
    monkeypatch.setattr(stock_queries, "fetch_stocks_page", counted)

    fast = await gql(query)

    assert fast.errors is None, fast.errors
    assert answer(fast) == answer(generic)
    assert pages == 1 + 2  # the page, then each location's


# ---- a small schema where the fast pass has to give up --------------------------------


class Colour(Enum):
    RED = "red"
    BLUE = "blue"


def _lookup(name: str) -> str:
    return f"looked up {name}"


# A scalar whose coercion answers null for a negative value: an error in graphql-core,
# even in a nullable field (a null given is not one).
Score = NewType("Score", int)
SCORE = strawberry.scalar(
    name="Score", serialize=lambda value: None if value < 0 else value, parse_value=int
)
SCALARS: dict[object, Any] = {Score: SCORE}  # every schema of Things needs it


@strawberry.type
class Tag:
    name: str


@strawberry.type
class Label:
    text: str


class SubTag(Tag):
    """Not a type of its own: Strawberry answers it as a Tag."""


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Thing(Named):  # an interface, so graphql-core checks the class of each thing
    name: str
    size: int
    colour: Colour
    note: str | None
    score: Score | None
    tag: Tag
    tags: list[Tag]
    mark: Annotated[Tag | Label, strawberry.union("Mark")]
    known_owner: strawberry.Private[str | None] = None

    @strawberry.field
    def owner(self) -> str:
        return self.known_owner if self.known_owner is not None else _lookup(self.name)


class Impostor:
    """Not a Thing, though it has a Thing's attributes."""

    def __init__(self) -> None:
        self.name, self.size, self.colour, self.note = "impostor", 1, Colour.RED, None
        self.score = None
        self.tag, self.mark, self.known_owner = Tag(name="t"), Tag(name="m"), "x"
        self.tags: list[Tag] = []


def thing(i: int, **changes: Any) -> Any:
    values: dict[str, Any] = {
        "name": f"thing {i}",
        "size": i,
        "colour": Colour.BLUE if i % 2 else Colour.RED,
        "note": None if i % 2 else f"note {i}",
        "score": None if i % 2 else i,
        "tag": Tag(name=f"tag {i}"),
        "tags": [Tag(name="a"), Tag(name="b")],
        "mark": Label(text="l") if i % 2 else Tag(name="t"),
        "known_owner": f"owner {i}",
    }
    values.update(changes)
    return Thing(**values)


SPOILED: dict[str, Any] = {
    "nothing unusual": {},
    "a null in a non-null field": {"name": None},
    "a null non-null object": {"tag": None},
    "an int beyond 32 bits": {"size": 2**40},
    "a value of the wrong enum": {"colour": "green"},
    "a string for a list": {"tags": "ab"},
    "a relation not prefetched": {"known_owner": None},
    "an exception as a value": {"note": ValueError("boom")},
    "a coercion answering null in a nullable field": {"score": -1},
    "an object of the wrong class": {"tag": Label(text="not a tag")},
    "a union member of no member type": {"mark": "neither"},
    "a subclass of a union member": {"mark": SubTag(name="sub")},
}


def schema_answering(things: list[Any], executor: type[Any] | None) -> strawberry.Schema:
    @strawberry.type
    class Query:
        @strawberry.field
        def things(self) -> list[Thing]:
            return things

    if executor is None:
        return strawberry.Schema(query=Query, scalar_overrides=SCALARS)
    return strawberry.Schema(
        query=Query, execution_context_class=executor, scalar_overrides=SCALARS
    )


THINGS = """{ things { __typename name size colour note score owner tag { name } tags { name }
  mark { __typename ... on Tag { name } ... on Label { text } } } }"""


@pytest.mark.parametrize("spoiled", list(SPOILED), ids=list(SPOILED))
async def test_a_spoiled_item_gets_graphql_cores_answer(spoiled: str) -> None:
    things = [thing(1), thing(2), thing(3, **SPOILED[spoiled]), thing(4)]

    fast = await schema_answering(things, BatchedListExecutor).execute(THINGS)
    generic = await schema_answering(things, None).execute(THINGS)

    assert answer(fast) == answer(generic)
    assert bool(fast.errors) is (
        spoiled
        not in ("nothing unusual", "a relation not prefetched", "a subclass of a union member")
    )


async def test_a_thing_of_another_class_fails_as_in_graphql_core() -> None:
    things = [thing(1), Impostor()]

    fast = await schema_answering(things, BatchedListExecutor).execute(THINGS)

    assert answer(fast) == answer(await schema_answering(things, None).execute(THINGS))
    assert fast.errors


async def test_an_awaitable_value_is_awaited_as_in_graphql_core() -> None:
    async def later() -> str:
        return "later"

    things = [thing(1), thing(2, note=later())]

    fast = await schema_answering(things, BatchedListExecutor).execute("{ things { note } }")

    assert fast.data == {"things": [{"note": None}, {"note": "later"}]}


async def test_a_middleware_sees_every_field_so_the_fast_pass_stays_off() -> None:
    seen: list[str] = []

    class Watcher(SchemaExtension):
        def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
            seen.append(info.field_name)
            return _next(root, info, *args, **kwargs)

    @strawberry.type
    class Query:
        @strawberry.field
        def things(self) -> list[Thing]:
            return [thing(1), thing(2)]

    schema = strawberry.Schema(
        query=Query,
        extensions=[Watcher],
        execution_context_class=BatchedListExecutor,
        scalar_overrides=SCALARS,
    )

    result = await schema.execute("{ things { name tag { name } } }")

    assert result.errors is None
    assert seen == ["things", "name", "tag", "name", "name", "tag", "name"]
