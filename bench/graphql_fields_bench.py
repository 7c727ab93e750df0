"""Every contract field on the list pages, each beside the page without it.

    python -m bench graphql_fields  (or python -m bench.graphql_fields_bench [--no-record])

Issue 19 asks that no contract field on the dashboard's pages multiply the page's cost
(a field resolved per row, a statement per node). This benchmark takes the three pages
of `python -m bench graphql` (`stocks(first: 100)` with the dashboard's selection,
`inventoryItems(first: 100)` and `materials(first: 100)` with theirs) over the same seed
(10,000 stocks, recipes, open purchase orders) and adds, one at a time, every field of
the node's type in the served schema (its required arguments given, one level of leaves
under an object): each page's worker CPU is measured in process (the real ASGI app,
authentication and security extensions on, no HTTP), the minimum of several batches, the
page without the field measured in the same run as its ceiling. The SQL statements of one
request are counted too (asyncpg's query logger) at first: 100 and first: 10: a field
whose statements grow with the page's rows (one per node) multiplies its cost, and is
flagged.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import graphql_bench, graphql_pages, harness  # noqa: E402 (run as a script)

HEADING = "## GraphQL: each field on the list pages"
BATCHES, PER_BATCH = 7, 4


def _field_after(query: str, last: str) -> str:
    """The benchmark's query with FIELD where the added field goes (after `last`)."""
    assert last in query, last
    return query.replace(last, f"{last} FIELD")


# page: (node type, its query)
PAGES = {
    "stocks": ("Stock", _field_after(graphql_bench.QUERY, "location { id name }")),
    "inventoryItems": (
        "InventoryItem",
        _field_after(graphql_pages.ITEMS_QUERY, "stocks { id onHand available }"),
    ),
    "materials": (
        "Material",
        _field_after(graphql_pages.MATERIALS_QUERY, "stocks { id onHand available }"),
    ),
}
# A value for each required argument's type (the location: the seeded one).
ARGUMENTS = {
    "ID": "$l",
    "String": '"case"',
    "DateTime": '"2026-12-01T00:00:00Z"',
    "Decimal": '"1"',
    "Int": "2",
    "Boolean": "true",
}


@dataclass
class Measured:
    page: str
    field: str
    ms: float
    base_ms: float
    statements: int  # SQL statements of one request, first: 100
    few_statements: int  # the same page, first: 10

    @property
    def ratio(self) -> float:
        return self.ms / self.base_ms

    @property
    def multiplies(self) -> bool:
        """Statements that grow with the page's rows (a statement per node)."""
        return self.statements > self.few_statements


def selections(type_name: str) -> list[tuple[str, str]]:
    """(field, its selection) for every field of the served type."""
    from graphql import GraphQLNonNull, GraphQLObjectType, get_named_type, is_leaf_type

    from app.settings import Settings
    from graphql_schema.schema import build_schema

    schema = build_schema(Settings())._schema
    found = schema.type_map[type_name]
    assert isinstance(found, GraphQLObjectType)
    chosen = []
    for name, field in found.fields.items():
        given = [
            f"{arg}: {ARGUMENTS[get_named_type(spec.type).name]}"
            for arg, spec in field.args.items()
            if isinstance(spec.type, GraphQLNonNull)
        ]
        text = name + (f"({', '.join(given)})" if given else "")
        named = get_named_type(field.type)
        if not is_leaf_type(named):
            leaves = ["__typename"]
            if isinstance(named, GraphQLObjectType):
                leaves += [
                    below
                    for below, sub in named.fields.items()
                    if is_leaf_type(get_named_type(sub.type))
                    and not any(isinstance(a.type, GraphQLNonNull) for a in sub.args.values())
                ]
            text = f"{text} {{ {' '.join(leaves)} }}"
        chosen.append((name, text))
    return chosen


async def measure(url: str, work: Path, location: uuid.UUID) -> list[Measured]:
    os.environ.update(
        {
            "DATABASE_URL": url,
            "DATA_DIR": str(work),
            "MIGRATE_ON_START": "false",
            "RUN_RELAY_IN_SERVE": "false",
            "LOG_LEVEL": "WARNING",
            "GRAPHQL_RESPONSE_CACHE_ENTRIES": "0",
            "GRAPHQL_READS_AT_ONCE": "0",
        }
    )
    from graphql_schema.ids import global_id

    token = harness.dev_token(work, graphql_bench.MERCHANT)
    variables = {"l": global_id("Location", location)}
    app = graphql_bench.graphql_app()
    post, lifespan = await _started(app, token)
    engine = app.state.runtime.database.engine
    statements = _StatementCount(engine)
    await engine.dispose()  # pooled connections are replaced by new ones, which are counted
    found = []
    try:
        for page, (type_name, query) in PAGES.items():
            base_ms = await _cpu_ms(post, _with(query, ""), variables)
            for field, selection in selections(type_name):
                ms = await _cpu_ms(post, _with(query, selection), variables)
                many = await statements.of(post, _body(_with(query, selection), variables))
                few_query = _with(query, selection).replace("(first: 100)", "(first: 10)")
                few = await statements.of(post, _body(few_query, variables))
                found.append(Measured(page, field, ms, base_ms, many, few))
                print(
                    f"{page:15} {field:20} {ms:7.2f} ms (alone {base_ms:.2f}) "
                    f"{many} / {few} statements",
                    flush=True,
                )
    finally:
        lifespan.cancel()
    return found


class _StatementCount:
    """Counts the statements the app runs: SQLAlchemy's (its cursor events) and those run on
    the asyncpg connection beneath it (asyncpg's query logger, which SQLAlchemy's prepared
    statements do not reach)."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.count = 0
        event.listen(engine.sync_engine.pool, "connect", self._connected)
        event.listen(engine.sync_engine, "before_cursor_execute", self._executed)

    def _executed(self, *args: Any) -> None:
        self.count += 1

    def _connected(self, dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(self._ran)

    def _ran(self, record: Any) -> None:
        self.count += 1

    async def of(self, post: Post, body: bytes) -> int:
        """The statements of one request posting `body`."""
        before = self.count
        status, answer = await post(body)
        if status != 200 or b'"errors"' in answer:
            raise RuntimeError(f"answered {status}: {answer[:300]!r}")
        return self.count - before


def _body(query: str, variables: dict[str, Any]) -> bytes:
    given = variables if "$l" in query else {}
    return json.dumps({"query": query, "variables": given}).encode()


def _with(query: str, selection: str) -> str:
    """The page's query with the field's selection, declaring $l where it is used."""
    text = query.replace("FIELD", selection)
    if "$l" in selection and "($l: ID!)" not in text:
        text = text.replace(" {", "($l: ID!) {", 1)  # after the operation's name
    return text


Post = Callable[[bytes], Awaitable[tuple[int, bytes]]]


async def _cpu_ms(post: Post, query: str, variables: dict[str, Any]) -> float:
    body = _body(query, variables)
    status, answer = await post(body)
    if status != 200 or b'"errors"' in answer:
        raise RuntimeError(f"{query!r} answered {status}: {answer[:300]!r}")
    for _ in range(3):  # warm: plans kept, statements prepared
        await post(body)
    best = float("inf")
    for _ in range(BATCHES):
        started = time.process_time()
        for _ in range(PER_BATCH):
            await post(body)
        best = min(best, (time.process_time() - started) / PER_BATCH * 1000)
    return best


async def _started(app: Any, token: str) -> tuple[Post, asyncio.Task[Any]]:
    """The app's lifespan started (its task), and a function posting one body to
    /graphql over ASGI."""
    events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await events.put({"type": "lifespan.startup"})
    ready = asyncio.Event()

    async def lifespan_send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            ready.set()
        elif message["type"] == "lifespan.startup.failed":
            raise RuntimeError(message.get("message"))

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    lifespan = asyncio.create_task(app(scope, events.get, lifespan_send))
    await asyncio.wait_for(ready.wait(), 60)

    async def post(body: bytes) -> tuple[int, bytes]:
        return await _post(app, token, body)

    return post, lifespan


async def _post(app: Any, token: str, body: bytes) -> tuple[int, bytes]:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)  # a disconnect never comes
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    status, chunks = 0, []

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    headers = [
        (b"host", b"bench"),
        (b"content-type", b"application/json"),
        (b"authorization", f"Bearer {token}".encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    await app(scope, receive, send)
    return status, b"".join(chunks)


def report(found: list[Measured], host: str) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        f"### {stamp}",
        "",
        f"- machine: {host}",
        "- data: the seed of `python -m bench graphql` (10,000 stocks of one merchant, a "
        "recipe of three materials for every product, open purchase orders)",
        "- each page with one more field of its node type (required arguments given, one "
        "level of leaves under an object), worker CPU per request in process (the ASGI app, "
        f"no HTTP), the minimum of {BATCHES} batches of {PER_BATCH}; the page alone in the "
        "same run is its ceiling",
        "",
        "| page | field | ms per page | page alone ms | x page alone "
        "| statements, 100 rows / 10 rows |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for m in sorted(found, key=lambda m: (m.page, -m.ratio)):
        flag = " **grows with the rows**" if m.multiplies else ""
        lines.append(
            f"| {m.page} | {m.field} | {m.ms:.2f} | {m.base_ms:.2f} | {m.ratio:.2f} "
            f"| {m.statements} / {m.few_statements}{flag} |"
        )
    worst = max(found, key=lambda m: m.ratio)
    many = [m for m in found if m.multiplies]
    verdict = (
        "No field multiplies its page's cost: every one reads in as many statements for "
        f"100 rows as for 10; the costliest, {worst.page}.{worst.field}, is x{worst.ratio:.2f} "
        "of its page alone."
        if not many
        else f"{len(many)} field(s) read more statements as the page grows: "
        + ", ".join(f"{m.page}.{m.field} ({m.statements} / {m.few_statements})" for m in many)
        + "."
    )
    return "\n".join([*lines, "", verdict])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stocks", type=int, default=10_000)
    parser.add_argument("--no-record", "--no-append", dest="no_record", action="store_true")
    args = parser.parse_args(argv)
    host = harness.machine("before the run", graphql_bench.MACHINE_NOTE)
    with (
        tempfile.TemporaryDirectory(prefix="graphql-fields-") as tmp,
        graphql_bench.database(Path(tmp)) as url,
    ):
        from app.db.migrate import upgrade_to_head
        from bench import graphql_pages_seed

        upgrade_to_head(url)
        asyncio.run(graphql_bench.seed(url, args.stocks))
        location = asyncio.run(graphql_pages_seed.seed_pages(url))
        found = _run(measure(url, Path(tmp), location))
    section = report(found, host)
    print(section)
    if not args.no_record:
        harness.append_to_section(HEADING, section, intro="Run: `python -m bench graphql_fields`.")
        print(f"appended to {harness.RESULTS}")
    return 0


def _run(work: Awaitable[list[Measured]]) -> list[Measured]:
    # On uvloop where it is installed, as `inventory serve` runs (uvicorn's "auto" loop).
    try:
        import uvloop
    except ImportError:
        return asyncio.run(work)  # type: ignore[arg-type]
    return uvloop.run(work)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
