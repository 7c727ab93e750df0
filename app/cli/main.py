"""`inventory <command>`: every command reads the same settings from the environment."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from app.cli import check_ledger, consume, dev, migrate, relay, serve, simulate, token
from app.cli.errors import describe_unreachable
from app.settings import SettingsError

# Each command module exposes `register(subparsers)`, which sets `handler` on its parser.
COMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    serve.register,
    migrate.register,
    token.register,
    consume.register,
    relay.register,
    dev.register,
    simulate.register,
    check_ledger.register,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inventory",
        description="Inventory service for POS merchants. Configuration comes from environment "
        "variables (DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS, BROADCAST_URL, IDENTITY_URL, ...); "
        "with none set, embedded defaults are used.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in COMMANDS:
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except SettingsError as exc:
        print(f"inventory: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        message = describe_unreachable(exc)
        if message is None:
            raise
        print(f"inventory: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
