"""`inventory relay`: publish committed outbox rows to Kafka until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from app.cli.metrics_port import add_metrics_port_option, with_metrics_port
from app.fast_paths import apply_fast_paths
from app.kafka.client import KafkaNotConfigured, bootstrap_servers
from app.logs import configure_logging
from app.operations_endpoint import OperationsPortUnavailable, operations_endpoint
from app.outbox.relay import RelayOptions
from app.outbox.runner import build_relay
from app.runtime import ProcessResources, open_database
from app.settings import Settings, load_settings


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _positive_float(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return number


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "relay",
        help="publish outbox events to Kafka (run one or several)",
        description="Publish the events that committed transactions wrote to the outbox, to "
        "KAFKA_BOOTSTRAP_SERVERS, with acks=all, keeping the order of each key. Several relays "
        "may run at once: each batch is locked while it is published. The relay wakes on "
        "LISTEN inventory_outbox as soon as a transaction commits, and also polls. While the "
        "broker is unreachable events wait in the database and are sent when it returns. "
        "Sent rows are pruned after OUTBOX_PRUNE_AFTER_HOURS. SIGTERM or Ctrl-C finishes the "
        "batch in flight, then exits.",
    )
    parser.add_argument(
        "--batch-size",
        type=_positive_int,
        default=None,
        metavar="N",
        help="most events claimed, published and marked per database transaction; larger "
        "batches give more throughput after a backlog, smaller ones hold fewer rows per "
        "transaction (default OUTBOX_BATCH_SIZE, 500)",
    )
    parser.add_argument(
        "--poll-interval",
        type=_positive_float,
        default=None,
        metavar="SECONDS",
        help="longest wait between two looks at the outbox when no notification arrives; "
        "new rows normally wake the relay at once, so this is only the fallback and the "
        "pace of retries (default OUTBOX_POLL_INTERVAL_SECONDS, 1.0)",
    )
    add_metrics_port_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = with_metrics_port(load_settings(), args)
    configure_logging(settings.log_level, settings.log_format)
    try:
        bootstrap_servers(settings)
    except KafkaNotConfigured:
        print(
            "inventory relay: KAFKA_BOOTSTRAP_SERVERS is not set (events wait in the outbox "
            "until a relay with a broker runs)",
            file=sys.stderr,
        )
        return 2
    overrides: dict[str, float | int] = {}
    if args.batch_size is not None:
        overrides["batch_size"] = args.batch_size
    if args.poll_interval is not None:
        overrides["poll_interval"] = args.poll_interval
    try:
        asyncio.run(_relay(settings, RelayOptions.from_settings(settings, **overrides)))
    except OperationsPortUnavailable as exc:
        print(f"inventory relay: {exc}", file=sys.stderr)
        return 2
    return 0


async def _relay(settings: Settings, options: RelayOptions) -> None:
    apply_fast_paths(settings)
    async with (
        open_database(settings, application_name="inventory-relay") as database,
        operations_endpoint(ProcessResources(settings, database)),
    ):
        relay = build_relay(settings, database.engine, database_url=database.url, options=options)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, relay.stop)
        await relay.run()
