"""`inventory consume`: the Kafka consumers (payments, kitchen tickets, CDC)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from app.cli.metrics_port import add_metrics_port_option, with_metrics_port
from app.fast_paths import apply_fast_paths
from app.kafka import topics
from app.kafka.client import KafkaNotConfigured, ensure_topics
from app.logs import configure_logging
from app.operations_endpoint import OperationsPortUnavailable, operations_endpoint
from app.runtime import ProcessResources, open_database
from app.settings import Settings, load_settings
from consumers.handlers import UnknownTopic, handlers_for
from consumers.runner import ConsumerRunner, RunnerOptions


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "consume",
        help="run the Kafka consumers (payments, kitchen tickets, product variant and "
        "merchant CDC)",
        description="Consume the sister services' topics in one consumer group "
        "(KAFKA_CONSUMER_GROUP) and apply them to the database (the payments a partition "
        "fetched together in one transaction, other messages each in one), committing "
        "offsets only after it. Run several instances to share "
        "the partitions. Messages that can never be applied go to <topic>.dlq with the "
        "reason in their headers; database outages are retried while the partition waits. "
        "SIGTERM or Ctrl-C finishes the current batch, commits it and leaves the group. "
        "Needs KAFKA_BOOTSTRAP_SERVERS; with KAFKA_CREATE_TOPICS (default true) the topics "
        "and their .dlq topics are created when missing.",
    )
    parser.add_argument(
        "--topics",
        type=topic_list,
        default=list(topics.CONSUMED),
        metavar="T1,T2",
        help="comma-separated topics to consume (default: all of "
        + ", ".join(topics.CONSUMED)
        + ")",
    )
    parser.add_argument(
        "--concurrency",
        type=positive_int,
        default=4,
        metavar="N",
        help="partitions handled at the same time by this instance; messages of one "
        "partition are always handled in order (default 4; keep at or below "
        "DATABASE_POOL_SIZE)",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=100,
        metavar="N",
        help="most records of one partition per batch; offsets are committed once per "
        "batch (default 100)",
    )
    parser.add_argument(
        "--group",
        metavar="NAME",
        help="consumer group id (default: KAFKA_CONSUMER_GROUP, itself 'inventory')",
    )
    parser.add_argument(
        "--partitions",
        type=positive_int,
        default=4,
        metavar="N",
        help="partitions of topics this command creates (with KAFKA_CREATE_TOPICS; default 4)",
    )
    add_metrics_port_option(parser)
    parser.set_defaults(handler=run)


def topic_list(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("name at least one topic")
    return names


def positive_int(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return number


def run(args: argparse.Namespace) -> int:
    settings = with_metrics_port(load_settings(), args)
    configure_logging(settings.log_level, settings.log_format)
    try:
        handlers_for(args.topics)
    except UnknownTopic as exc:
        print(f"inventory consume: {exc}", file=sys.stderr)
        return 2
    if not settings.kafka_bootstrap_servers:
        print("inventory consume: KAFKA_BOOTSTRAP_SERVERS is not set", file=sys.stderr)
        return 2
    try:
        asyncio.run(consume(settings, args))
    except (KafkaNotConfigured, OperationsPortUnavailable) as exc:
        print(f"inventory consume: {exc}", file=sys.stderr)
        return 2
    return 0


async def consume(settings: Settings, args: argparse.Namespace) -> None:
    apply_fast_paths(settings)
    handlers = handlers_for(args.topics)
    if settings.kafka_create_topics:
        wanted = [*handlers, *(topics.dead_letter_topic(name) for name in handlers)]
        await ensure_topics(settings, wanted, partitions=args.partitions)
    async with (
        open_database(settings, application_name="inventory-consume") as database,
        operations_endpoint(ProcessResources(settings, database)),
    ):
        runner = ConsumerRunner(
            settings,
            database.sessions,
            handlers,
            options=RunnerOptions(
                group_id=args.group,
                concurrency=args.concurrency,
                max_batch=args.batch_size,
                freeze_heap_after_start=True,
            ),
        )
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, runner.stop)
        try:
            await runner.run()
        finally:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
