"""`inventory migrate`: upgrade the database to the newest schema."""

from __future__ import annotations

import argparse
import asyncio

from app.logs import configure_logging
from app.runtime import open_database
from app.settings import load_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "migrate",
        help="upgrade the database to head",
        description="Run the Alembic migrations up to head against DATABASE_URL "
        "(or the embedded PostgreSQL in DATA_DIR when it is not set).",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)

    async def _migrate() -> None:
        async with open_database(settings, migrate=True, application_name="inventory-migrate"):
            pass

    asyncio.run(_migrate())
    print("database is at head")
    return 0
