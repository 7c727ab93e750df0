"""`inventory token`: print a token signed by the development identity."""

from __future__ import annotations

import argparse
import sys
import uuid
from datetime import timedelta

from app.auth.dev import DEFAULT_POLICY, load_or_create_signing_key
from app.settings import SettingsError, load_settings, production_requested


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    roles = ", ".join(sorted(DEFAULT_POLICY))
    parser = subparsers.add_parser(
        "token",
        help="print a development token for a merchant and role",
        description="Print a JWT signed by the built-in development identity (its key pair "
        "lives in DATA_DIR/dev-identity/ and is created on first use). Only without "
        "IDENTITY_URL and never with ENVIRONMENT=production: real tokens come from the "
        "identity service. Use it as 'Authorization: Bearer <token>'.",
    )
    parser.add_argument(
        "--merchant",
        type=uuid.UUID,
        metavar="UUID",
        help="merchant id the token is scoped to (the merchant_id claim); "
        "required for user tokens, optional with --service",
    )
    parser.add_argument(
        "--role",
        help=f"role claim, checked against the default policy ({roles}); "
        "defaults to owner for user tokens, none for service tokens",
    )
    parser.add_argument(
        "--service",
        action="store_true",
        help="a service-to-service token (typ=service), as sister services such as "
        "commerce use for the /v1 routes; it may name the merchant per request",
    )
    parser.add_argument(
        "--ttl",
        type=positive_seconds,
        default=timedelta(hours=12),
        metavar="SECONDS",
        help="lifetime in seconds (default 43200, twelve hours)",
    )
    parser.add_argument(
        "--subject",
        help="sub claim, the user or service id recorded as actor "
        "(default dev-user, or dev-service with --service)",
    )
    parser.set_defaults(handler=run)


def positive_seconds(value: str) -> timedelta:
    seconds = int(value)
    if seconds <= 0:
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return timedelta(seconds=seconds)


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
    except SettingsError:
        if production_requested():
            # Not "DATABASE_URL is required": the database is beside the point here.
            raise SettingsError(
                "ENVIRONMENT=production: tokens come from the identity service at "
                "IDENTITY_URL; `inventory token` only signs for the development identity"
            ) from None
        raise
    if settings.is_production or settings.identity_url:
        raise SettingsError(
            "IDENTITY_URL is set: tokens come from that identity service, "
            "`inventory token` only signs for the development identity"
        )
    if args.merchant is None and not args.service:
        print("inventory token: --merchant is required for a user token", file=sys.stderr)
        return 2
    signing_key = load_or_create_signing_key(settings.data_dir)
    token = signing_key.issue_token(
        issuer=settings.identity_issuer,
        audience=settings.identity_audience,
        subject=args.subject or ("dev-service" if args.service else "dev-user"),
        merchant_id=args.merchant,
        role=args.role or (None if args.service else "owner"),
        service=args.service,
        ttl=args.ttl,
    )
    print(token)
    return 0
