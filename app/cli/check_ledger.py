"""`inventory check-ledger`: recompute every stock from its ledger; exit 1 on a difference."""

from __future__ import annotations

import argparse
import asyncio
import uuid

from app.db.queries.ledger import LedgerCheckResult, LedgerDiscrepancy, check_ledger
from app.domain.quantities import decimal_str
from app.logs import configure_logging
from app.runtime import check_database, open_database
from app.settings import load_settings

DISCREPANCY_EXIT = 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "check-ledger",
        help="check that every stock equals the sum of its ledger",
        description="Recompute every stock's on hand and reserved from its movements in one "
        "aggregate query (the ledgerCheck of the GraphQL API, for operators) and print the "
        "stocks that differ. Exits 0 when there is none, 1 when there is a discrepancy, "
        "2 when the database cannot be reached.",
    )
    parser.add_argument(
        "--merchant",
        type=uuid.UUID,
        metavar="UUID",
        help="check only this merchant's stocks (default: every merchant)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)

    async def _check() -> LedgerCheckResult:
        if settings.database_url:
            # One line naming DATABASE_URL (unreachable, refused login, no such database)
            # instead of the driver's traceback.
            await check_database(settings.database_url)
        async with (
            open_database(
                settings, migrate=False, application_name="inventory-check-ledger"
            ) as database,
            database.sessions() as session,
        ):
            return await check_ledger(session, merchant_id=args.merchant)

    result = asyncio.run(_check())
    for discrepancy in result.discrepancies:
        print(describe(discrepancy))
    found = len(result.discrepancies)
    print(f"{result.stocks_checked} stocks checked, {found} differ from their ledger")
    return DISCREPANCY_EXIT if found else 0


def describe(d: LedgerDiscrepancy) -> str:
    """One line per differing stock: where it is, what it holds and what its ledger sums to."""
    return (
        f"stock {d.stock_id} (merchant {d.merchant_id}, location {d.location_id}): "
        f"onHand {decimal_str(d.on_hand)} vs ledger {decimal_str(d.ledger_on_hand)}, "
        f"reserved {decimal_str(d.reserved)} vs ledger {decimal_str(d.ledger_reserved)}"
    )
