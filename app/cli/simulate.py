"""`inventory simulate sales`: publish the demo café's sales to Kafka, as the sale service would."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import random
import re
import signal
import sys
import time
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TextIO

from app.cli import dev_state
from app.cli.sales_scenario import SalesScenario, Scheduled, Tally
from app.kafka import topics
from app.kafka.client import create_producer, ensure_topics
from app.logs import configure_logging
from app.settings import Settings, load_settings

CONNECT_TIMEOUT_SECONDS = 10.0
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*([smh]))?\s*$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$")
_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, "": 1.0}


class SimulationError(Exception):
    """What stops the simulation, worded for the person who started it."""


def parse_rate(value: str) -> float:
    """Sales per second from '5/s', '300/m', '2000/h' or '5'."""
    match = _RATE.match(value)
    rate = float(match[1]) / _SECONDS[match[2] or "s"] if match else 0.0
    if rate <= 0:
        raise argparse.ArgumentTypeError("give a positive rate like 5/s, 300/m or 5")
    return rate


def parse_duration(value: str) -> float:
    """Seconds from '60s', '2m', '1h' or '90'."""
    match = _DURATION.match(value)
    seconds = float(match[1]) * _SECONDS[match[2]] if match else 0.0
    if seconds <= 0:
        raise argparse.ArgumentTypeError("give a positive duration like 60s, 2m or 90")
    return seconds


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="publish realistic sales of the demo merchant to Kafka",
        description="Produce events for the demo merchant seeded by `inventory dev`, so you "
        "can watch stock move in a GraphiQL subscription. The broker and the demo locations "
        "come from the running `inventory dev` (DATA_DIR/dev-stack.json); "
        "KAFKA_BOOTSTRAP_SERVERS, when set, names the broker instead.",
    )
    kinds = parser.add_subparsers(dest="scenario", required=True, metavar="SCENARIO")
    sales = kinds.add_parser(
        "sales",
        help="PAYMENT_SUCCESS events and the kitchen ticket updates that follow them",
        description="Each sale is a PAYMENT_SUCCESS with 1 to 3 products (sometimes two "
        "of one, coffees sometimes with a modifier), followed for every kitchen-made item by "
        "kitchen ticket updates PENDING, PREPARING, READY, SERVED (about 8%% CANCELLED "
        "instead). Events are keyed by saleOrderId. A progress line shows what was sent; "
        "Ctrl-C stops early. Tickets still open at the end are finished at once.",
    )
    sales.add_argument(
        "--rate",
        type=parse_rate,
        default=parse_rate("5/s"),
        metavar="N/s",
        help="sales (PAYMENT_SUCCESS events) per second, as N/s, N/m or N/h; arrivals are "
        "random around that pace (default 5/s)",
    )
    sales.add_argument(
        "--duration",
        type=parse_duration,
        default=parse_duration("60s"),
        metavar="TIME",
        help="how long to make new sales, as 60s, 2m or 1h (default 60s)",
    )
    sales.add_argument(
        "--kitchen-seconds",
        type=parse_duration,
        default=6.0,
        metavar="TIME",
        help="typical time from payment to SERVED for a kitchen item (default 6s)",
    )
    sales.add_argument(
        "--location-id",
        type=uuid.UUID,
        action="append",
        metavar="UUID",
        help="sell at this location (repeatable; default: the demo merchant's locations "
        "from the running `inventory dev`, the first one busiest)",
    )
    sales.add_argument(
        "--seed", type=int, metavar="N", help="random seed, to replay the same sales"
    )
    parser.set_defaults(handler=run)


@dataclass(frozen=True)
class Target:
    settings: Settings
    locations: list[uuid.UUID]


def resolve_target(settings: Settings, args: argparse.Namespace) -> Target:
    """The broker and locations to use, or a SimulationError naming what is missing."""
    state = dev_state.read(settings.data_dir)
    if not settings.kafka_bootstrap_servers:
        if state is None:
            raise SimulationError(
                f"no running `inventory dev` found in {settings.data_dir} and "
                "KAFKA_BOOTSTRAP_SERVERS is not set: start `inventory dev` (same DATA_DIR) "
                "or name a broker"
            )
        if not state.bootstrap_servers:
            raise SimulationError(
                "the running `inventory dev` has no Kafka broker (tansu is not installed or "
                "--no-broker was given): set KAFKA_BOOTSTRAP_SERVERS for both"
            )
        settings = settings.model_copy(
            update={
                "kafka_bootstrap_servers": state.bootstrap_servers,
                "kafka_enable_idempotence": state.kafka_enable_idempotence,
            }
        )
    locations = list(args.location_id or [])
    if not locations and state is not None:
        ids = state.location_ids
        locations = [ids.pop("MAIN"), *ids.values()] if "MAIN" in ids else list(ids.values())
    if not locations:
        raise SimulationError(
            "no demo locations known: run `inventory dev` with this DATA_DIR, or pass --location-id"
        )
    return Target(settings, locations)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging("ERROR")
    # The reason is printed once below, not as the client library's retries.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        target = resolve_target(settings, args)
        tally = asyncio.run(simulate(target, args, sys.stdout))
    except SimulationError as exc:
        print(f"inventory simulate: {exc}", file=sys.stderr)
        return 2
    print(f"done: {_summary(tally, None)}")
    return 0


async def simulate(target: Target, args: argparse.Namespace, out: TextIO) -> Tally:
    settings = target.settings
    servers = settings.kafka_bootstrap_servers
    producer = create_producer(settings, client_id="inventory-simulate", request_timeout_ms=5000)
    try:
        await _within(producer.start(), f"the Kafka broker at {servers} is unreachable")
        if settings.kafka_create_topics:
            wanted = [topics.PAYMENT_SUCCESS, topics.KITCHEN_TICKET_ITEM_STATUS_CHANGED]
            await _within(ensure_topics(settings, wanted), f"cannot create topics on {servers}")
        scenario = SalesScenario(
            target.locations,
            rng=random.Random(args.seed),
            kitchen_seconds=args.kitchen_seconds,
        )
        await _produce(producer, scenario, args.rate, args.duration, out)
        return scenario.tally
    finally:
        with contextlib.suppress(Exception):
            await producer.stop()


async def _within(step: Awaitable[Any], problem: str) -> None:
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS):
            await step
    except Exception as exc:
        raise SimulationError(f"{problem} ({type(exc).__name__})") from None


async def _produce(
    producer: Any, scenario: SalesScenario, rate: float, duration: float, out: TextIO
) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    progress = Progress(out, duration)
    start = loop.time()
    next_sale = scenario.rng.expovariate(rate)
    try:
        while True:
            now = loop.time() - start
            selling = now < duration and not stop.is_set()
            batch: list[Scheduled] = []
            while selling and next_sale <= now:
                batch.append(scenario.sale(next_sale))
                next_sale += scenario.rng.expovariate(rate)
            batch += scenario.due(now if selling else float("inf"))
            await _send(producer, batch, scenario.tally)
            progress.show(scenario.tally, now)
            if not selling:
                break
            wake = min(next_sale, scenario.pending[0].due if scenario.pending else next_sale)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, min(wake - now, 0.25)))
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    progress.finish()


async def _send(producer: Any, batch: list[Scheduled], tally: Tally) -> None:
    if not batch:
        return
    try:
        sent = [await producer.send(e.topic, _json(e.value), key=e.key.encode()) for e in batch]
        await asyncio.gather(*sent)
    except Exception as exc:
        raise SimulationError(
            f"lost the Kafka broker after {tally.sales} sales ({type(exc).__name__})"
        ) from None
    for event in batch:
        tally.count_sent(event)


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _summary(tally: Tally, seconds_left: float | None) -> str:
    text = (
        f"{tally.sales} sales ({tally.items} items, {tally.with_modifiers} with modifiers), "
        f"{tally.kitchen_updates} kitchen updates ({tally.cancelled} cancelled)"
    )
    return text if seconds_left is None else f"{text}, {seconds_left:.0f}s left"


class Progress:
    """One line rewritten in place on a terminal; a line every few seconds otherwise."""

    def __init__(self, out: TextIO, duration: float) -> None:
        self.out = out
        self.duration = duration
        self.tty = out.isatty()
        self._last = 0.0

    def show(self, tally: Tally, now: float) -> None:
        interval = 0.25 if self.tty else 5.0
        if time.monotonic() - self._last < interval:
            return
        self._last = time.monotonic()
        line = f"sent {_summary(tally, max(0.0, self.duration - now))}"
        self.out.write(f"\r{line}\x1b[K" if self.tty else f"{line}\n")
        self.out.flush()

    def finish(self) -> None:
        if self.tty:
            self.out.write("\n")
            self.out.flush()
