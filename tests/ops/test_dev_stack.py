"""`inventory dev` in a subprocess: the printed token answers the README's query, mutation
and subscription, and simulated sales move stock."""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from graphql import build_schema, parse, validate

from app.cli.dev_state import sample_subscription
from app.dev_catalog import DEMO_MERCHANT_ID, MAIN, MATERIALS
from tests.fixtures.server_dirs import ServerDir
from tests.ops.dev_process import (
    DevProcess,
    dev_env,
    graphql,
    inventory,
    next_event,
    postgres_url,
    running_dev,
    subscription,
)

pytestmark = pytest.mark.slow

REPOSITORY = Path(__file__).resolve().parents[2]


def readme_operations() -> dict[str, str]:
    """The GraphQL blocks of the README's "Try it" section, by operation name."""
    readme = (REPOSITORY / "README.md").read_text()
    section = readme.split("\n## Try it\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```graphql\n(.*?)```", section, flags=re.DOTALL)
    named = {re.search(r"^\w+ (\w+)", block)[1]: block for block in blocks}  # type: ignore[index]
    return named


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory, server_dir: ServerDir) -> Iterator[DevProcess]:
    data_dir = server_dir("dev-data")
    with running_dev(data_dir, tmp_path_factory.mktemp("dev-logs")) as process:
        yield process


def test_the_readme_operations_are_valid_against_the_contract() -> None:
    contract = build_schema((REPOSITORY / "contracts" / "schema.graphql").read_text())
    operations = readme_operations()

    assert sorted(operations) == ["TryRestock", "TryStockChanged", "TryStocks"]
    for name, text in operations.items():
        assert validate(contract, parse(text)) == [], name
    assert validate(contract, parse(sample_subscription("x"))) == []


def test_dev_prints_the_board_graphiql_the_broker_and_a_token(dev: DevProcess) -> None:
    printed = dev.stdout()

    assert f"http://127.0.0.1:{dev.port}/graphql" in printed
    assert dev.state is not None
    assert dev.state.bootstrap_servers
    assert dev.state.bootstrap_servers in printed
    assert f"Bearer {dev.token}" in printed
    assert "subscription { stockChanged(" in printed
    main = dev.state.location_ids[MAIN]
    assert f"http://127.0.0.1:{dev.port}/board#token={dev.token}&locationId={main}" in printed
    assert f"http://127.0.0.1:{dev.port}/graphql#token={dev.token}" in printed


async def test_the_printed_token_answers_the_readme_query_mutation_and_subscription(
    dev: DevProcess,
) -> None:
    operations = readme_operations()
    assert dev.state is not None
    main = str(dev.state.location_ids[MAIN])

    stocks = (await graphql(dev, operations["TryStocks"], {"locationId": main}))["stocks"]
    beans = next(
        edge["node"] for edge in stocks["edges"] if edge["node"]["item"]["name"] == "Espresso beans"
    )
    async with subscription(dev, operations["TryStockChanged"], {"locationId": main}) as socket:
        # The subscription registers asynchronously: restock until our event arrives. The
        # demo seeding's own events may still be on their way from the relay, so ours is
        # told by the beans' version a restock answered with (versions count per stock).
        event, ours = None, set()
        for _ in range(10):
            restocked = await graphql(dev, operations["TryRestock"], {"stockId": beans["id"]})
            assert restocked["stockAdjust"]["userErrors"] == []
            ours.add(restocked["stockAdjust"]["stock"]["version"])
            while (candidate := await next_event(socket, seconds=3)) is not None:
                stock = candidate["data"]["stockChanged"]["stock"]
                if stock["item"] == {"name": "Espresso beans"} and stock["version"] in ours:
                    event = candidate
                    break
            if event is not None:
                break

    assert stocks["totalCount"] == len(MATERIALS)  # every demo material is stocked at MAIN
    assert event is not None
    change = event["data"]["stockChanged"]
    assert change["movement"] == {"type": "ADJUSTMENT", "deltaOnHand": "250", "deltaReserved": "0"}
    assert change["stock"]["item"] == {"name": "Espresso beans"}


async def test_simulated_sales_move_stock(dev: DevProcess) -> None:
    simulated = await asyncio.to_thread(
        subprocess.run,
        inventory("simulate", "sales", "--rate", "20/s", "--duration", "3s", "--seed", "7"),
        env=dev_env(dev.data_dir),
        capture_output=True,
        timeout=60,
    )
    assert simulated.returncode == 0, simulated.stderr
    sales = int(re.search(rb"done: (\d+) sales", simulated.stdout)[1])  # type: ignore[index]

    connection = await asyncpg.connect(postgres_url(dev.data_dir))
    try:
        applied = 0
        wanted = {"SALE", "SALE_RESERVATION", "KITCHEN_CONSUMPTION"}
        kinds: set[str] = set()
        # The kitchen's SERVED updates are consumed after their sales (from another
        # topic): wait for both, not only for the sales.
        for _ in range(150):
            applied = await connection.fetchval(
                "SELECT count(DISTINCT reference_id) FROM stock_movement "
                "WHERE merchant_id = $1 AND reference_type = 'SALE_ORDER'",
                DEMO_MERCHANT_ID,
            )
            kinds = {
                r["type"]
                for r in await connection.fetch(
                    "SELECT DISTINCT type FROM stock_movement WHERE merchant_id = $1",
                    DEMO_MERCHANT_ID,
                )
            }
            if applied == sales and wanted <= kinds:
                break
            await asyncio.sleep(0.2)
    finally:
        await connection.close()

    assert sales > 20
    assert applied == sales
    assert wanted <= kinds


def test_simulate_without_a_reachable_broker_is_one_line_and_exit_2(tmp_path: Path) -> None:
    from app.embedded import free_port

    nowhere = f"127.0.0.1:{free_port()}"
    env = dev_env(tmp_path, KAFKA_BOOTSTRAP_SERVERS=nowhere)
    location = "--location-id=01a21034-dad1-72ea-ba26-109d711b1fb0"

    failed = subprocess.run(
        inventory("simulate", "sales", "--duration", "1s", location),
        env=env,
        capture_output=True,
        timeout=60,
    )
    no_stack = subprocess.run(
        inventory("simulate", "sales"), env=dev_env(tmp_path), capture_output=True, timeout=60
    )

    assert failed.returncode == 2
    assert failed.stderr.decode().splitlines() == [
        f"inventory simulate: the Kafka broker at {nowhere} is unreachable (KafkaConnectionError)"
    ]
    assert no_stack.returncode == 2
    [line] = no_stack.stderr.decode().splitlines()
    assert "no running `inventory dev`" in line
    assert "KAFKA_BOOTSTRAP_SERVERS" in line
