"""SIGTERM of `inventory dev`: websocket clients told (1012), no orphan servers, and no
event produced before it lost — all of them applied, once, after a restart."""

from __future__ import annotations

import asyncio
import json
import random
import signal
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import psutil
import pytest
from aiokafka import AIOKafkaProducer
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from app.cli import dev_state
from app.cli.sales_scenario import SalesScenario, Scheduled
from app.dev_catalog import DEMO_MERCHANT_ID, MAIN
from app.domain.enums import KitchenEffect
from app.embedded import EmbeddedBroker
from app.kafka import topics
from tests.fixtures.server_dirs import ServerDir
from tests.ops.dev_process import (
    DevProcess,
    postgres_url,
    postmaster_pid,
    running_dev,
    start_dev,
    subscription,
)

pytestmark = pytest.mark.slow

SALES = 150
FIRST_WAVE = 50


def _gone(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


async def _close_code(socket: ClientConnection) -> int | None:
    """Read until the server closes the connection; the code it sent."""
    try:
        async with asyncio.timeout(20):
            async for _ in socket:
                pass
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    return socket.close_code


async def test_sigterm_closes_websockets_with_1012_and_leaves_no_servers_behind(
    tmp_path: Path, server_dir: ServerDir
) -> None:
    data_dir = server_dir("dev-data")
    dev = start_dev(data_dir, tmp_path / "logs")
    try:
        assert dev.state is not None
        children = [c.pid for c in psutil.Process(dev.process.pid).children(recursive=True)]
        postmaster = postmaster_pid(data_dir)
        query = dev_state.sample_subscription(str(dev.state.location_ids[MAIN]))
        async with subscription(dev, query) as socket:
            await asyncio.sleep(0.5)
            dev.process.send_signal(signal.SIGTERM)
            close_code = await _close_code(socket)
        exit_code = await asyncio.to_thread(dev.process.wait, 40)
    finally:
        if dev.process.poll() is None:
            dev.process.kill()

    assert close_code == 1012
    assert exit_code == 0
    assert children, "tansu runs as a child of inventory dev"
    assert all(_gone(pid) for pid in children)
    assert _gone(postmaster)
    assert not (data_dir / "postgres" / "postmaster.pid").exists()
    assert dev_state.read(data_dir) is None


async def _produce(bootstrap: str, events: list[Scheduled]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        for event in events:
            await producer.send(
                event.topic, json.dumps(event.value).encode(), key=event.key.encode()
            )
        await producer.flush()
    finally:
        await producer.stop()


async def _applied(data_dir: Path) -> tuple[set[str], set[tuple[str, str]]]:
    """Sale orders with ledger rows, and (kitchen ticket item, effect) pairs recorded."""
    connection = await asyncpg.connect(postgres_url(data_dir))
    try:
        orders = await connection.fetch(
            "SELECT DISTINCT reference_id FROM stock_movement "
            "WHERE merchant_id = $1 AND reference_type = 'SALE_ORDER'",
            DEMO_MERCHANT_ID,
        )
        effects = await connection.fetch(
            "SELECT kitchen_ticket_item_id, effect FROM kitchen_ticket_effect "
            "WHERE merchant_id = $1 AND applied",
            DEMO_MERCHANT_ID,
        )
    finally:
        await connection.close()
    return (
        {r["reference_id"] for r in orders},
        {(str(r["kitchen_ticket_item_id"]), str(r["effect"])) for r in effects},
    )


async def _ledger_discrepancies(data_dir: Path) -> int:
    connection = await asyncpg.connect(postgres_url(data_dir))
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM stock s WHERE s.merchant_id = $1 AND (s.on_hand, s.reserved) "
            "<> (SELECT coalesce(sum(delta_on_hand), 0), coalesce(sum(delta_reserved), 0) "
            "FROM stock_movement m WHERE m.stock_id = s.id)",
            DEMO_MERCHANT_ID,
        )
    finally:
        await connection.close()
    return count


def _expected(events: list[Scheduled]) -> tuple[set[str], set[tuple[str, str]]]:
    orders = {e.key for e in events if e.topic == topics.PAYMENT_SUCCESS}
    effects: dict[str, str] = {}
    for event in events:
        if event.topic != topics.KITCHEN_TICKET_ITEM_STATUS_CHANGED:
            continue
        item, status = event.value["kitchenTicketItemId"], event.value["status"]
        if item not in effects and status in ("READY", "SERVED"):
            effects[item] = KitchenEffect.CONSUMED.value
        elif item not in effects and status == "CANCELLED":
            effects[item] = KitchenEffect.RELEASED.value
    return orders, set(effects.items())


async def _wait_for(data_dir: Path, predicate: object, seconds: float) -> None:
    assert callable(predicate)
    for _ in range(int(seconds / 0.2)):
        if predicate(*await _applied(data_dir)):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"not applied within {seconds}s")


async def test_events_produced_before_sigterm_are_all_applied_after_restart(
    tmp_path: Path, own_broker: EmbeddedBroker, server_dir: ServerDir
) -> None:
    data_dir = server_dir("dev-data")
    env = {"KAFKA_BOOTSTRAP_SERVERS": own_broker.bootstrap, "KAFKA_ENABLE_IDEMPOTENCE": "false"}
    first: DevProcess = start_dev(data_dir, tmp_path / "logs-1", **env)
    try:
        assert first.state is not None
        locations = list(first.state.location_ids.values())
        scenario = SalesScenario(locations, rng=random.Random(11), kitchen_seconds=1.0)
        events = [scenario.sale(n * 0.01) for n in range(SALES)]
        events += scenario.due(float("inf"))
        # Stop in the middle of the work: a partition's fetched payments are applied in one
        # transaction, so one wave can be done before any poll sees it; the second wave
        # is produced once the first is being applied, and SIGTERM follows at once.
        first_wave, second_wave = events[:FIRST_WAVE], events[FIRST_WAVE:]
        await _produce(own_broker.bootstrap, first_wave)
        await _wait_for(data_dir, lambda orders, _: len(orders) >= 10, seconds=60)
        await _produce(own_broker.bootstrap, second_wave)
        orders_before_stop, effects_before_stop = await _applied(data_dir)
        first.process.send_signal(signal.SIGTERM)
        first_exit = await asyncio.to_thread(first.process.wait, 40)
    finally:
        if first.process.poll() is None:
            first.process.kill()
    expected_orders, expected_effects = _expected(events)

    with running_dev(data_dir, tmp_path / "logs-2", **env):
        await _wait_for(
            data_dir,
            lambda orders, effects: orders == expected_orders and effects == expected_effects,
            seconds=90,
        )
        applied_orders, applied_effects = await _applied(data_dir)
        discrepancies = await _ledger_discrepancies(data_dir)

    assert first_exit == 0
    assert applied_orders == expected_orders
    assert applied_effects == expected_effects
    assert discrepancies == 0
    assert len(expected_orders) == SALES
    assert (orders_before_stop, effects_before_stop) != (expected_orders, expected_effects), (
        "SIGTERM came after all the work was done"
    )
