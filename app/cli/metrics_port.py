"""`--metrics-port`, shared by the commands that serve no API of their own (consume, relay)."""

from __future__ import annotations

import argparse

from app.settings import Settings


def _port(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 65_535:
        raise argparse.ArgumentTypeError("must be a port number between 1 and 65535")
    return number


def add_metrics_port_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--metrics-port",
        type=_port,
        default=None,
        metavar="PORT",
        help="serve /healthz, /readyz and /metrics on this port, on METRICS_HOST (default "
        "METRICS_PORT; unset: no endpoint)",
    )


def with_metrics_port(settings: Settings, args: argparse.Namespace) -> Settings:
    if args.metrics_port is None:
        return settings
    return settings.model_copy(update={"metrics_port": args.metrics_port})
