"""Typed settings read from environment variables (one source for every process)."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    STAGING = "staging"
    PRODUCTION = "production"


class SettingsError(Exception):
    """Invalid configuration, with a message naming the environment variable."""


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("inventory-service", appauthor=False))


def to_asyncpg_url(url: str) -> str:
    """Give a plain PostgreSQL URL the asyncpg driver SQLAlchemy needs."""
    for prefix in ("postgresql+asyncpg://", "postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("must be a postgresql:// URL")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    database_url: str | None = None
    kafka_bootstrap_servers: str | None = None
    kafka_enable_idempotence: bool = True
    kafka_create_topics: bool = True
    kafka_consumer_group: str = "inventory"
    broadcast_url: str = "memory://"
    # Realtime (GraphQL subscriptions): see app/realtime/consumer.py for the two consumer modes.
    run_realtime_consumer_in_serve: bool = True
    realtime_consumer_group: str = "inventory-realtime"
    realtime_subscriber_queue_limit: Annotated[int, Field(ge=1, le=1_000_000)] = 1000
    realtime_connection_init_timeout_seconds: Annotated[float, Field(gt=0, le=600)] = 10.0
    realtime_max_subscriptions_per_connection: Annotated[int, Field(ge=1, le=1000)] = 20
    realtime_keep_alive_seconds: Annotated[float, Field(gt=0, le=600)] = 15.0
    redis_url: str | None = None
    identity_url: str | None = None
    identity_issuer: str = "inventory-dev-identity"
    identity_audience: str = "inventory"
    identity_leeway_seconds: Annotated[int, Field(ge=0, le=300)] = 30
    environment: Environment = Environment.DEVELOPMENT
    data_dir: Path = Field(default_factory=default_data_dir)
    migrate_on_start: bool = True
    run_relay_in_serve: bool = True
    run_consumers_in_serve: bool = False
    outbox_batch_size: Annotated[int, Field(ge=1, le=10_000)] = 500
    outbox_poll_interval_seconds: Annotated[float, Field(gt=0, le=3600)] = 1.0
    outbox_retry_base_seconds: Annotated[float, Field(gt=0, le=3600)] = 0.5
    outbox_retry_max_seconds: Annotated[float, Field(gt=0, le=86_400)] = 60.0
    outbox_prune_after_hours: Annotated[float, Field(gt=0)] = 72.0
    outbox_prune_interval_seconds: Annotated[float, Field(gt=0)] = 600.0
    # Idempotency keys are kept at least this long, then pruned (a reused key is then new).
    idempotency_key_retention_hours: Annotated[float, Field(gt=0, le=24 * 365)] = 24.0
    idempotency_key_prune_interval_seconds: Annotated[float, Field(gt=0, le=86_400)] = 300.0
    # The usage report's daily totals are summed in the background (services/ledger_days.py)
    # this often, for settled days at most this many days back (a report covers up to 366).
    ledger_days_settle_interval_seconds: Annotated[float, Field(gt=0, le=86_400)] = 600.0
    ledger_days_lookback_days: Annotated[int, Field(ge=1, le=3660)] = 366
    database_pool_size: Annotated[int, Field(ge=1, le=200)] = 10
    log_level: str = "INFO"
    # json: one JSON object a line (log shippers); text: lines for people; auto: text on
    # a terminal, JSON otherwise.
    log_format: Literal["auto", "json", "text"] = "auto"
    # `consume` and `relay` serve /healthz, /readyz and /metrics here when set (serve has
    # them on its own port).
    metrics_port: Annotated[int | None, Field(ge=1, le=65_535)] = None
    metrics_host: str = "127.0.0.1"
    max_body_bytes: Annotated[int, Field(ge=1024)] = 1024 * 1024
    # Per-process cache of GraphQL query responses (graphql_schema/response_cache.py);
    # 0 entries turns it off.
    graphql_response_cache_entries: Annotated[int, Field(ge=0, le=1_000_000)] = 1000
    graphql_response_cache_bytes: Annotated[int, Field(ge=0)] = 64 * 1024 * 1024
    graphql_response_cache_max_age_seconds: Annotated[float, Field(gt=0, le=3600)] = 60.0
    # Lists completed by plan (graphql_schema/list_plan/); false: graphql-core's own path.
    graphql_fast_execution: bool = True
    # Read connections GraphQL queries may hold at once (graphql_schema/read_budget.py):
    # unset, the pool size (its overflow stays for writes); 0, no budget.
    graphql_read_connections: Annotated[int, Field(ge=0, le=400)] | None = None
    graphql_read_wait_seconds: Annotated[float, Field(ge=0, le=30)] = 0.5
    # GraphQL reads over HTTP executing at once (graphql_schema/read_gate.py); the
    # others wait up to graphql_read_wait_seconds, writes never; 0, no gate. Few: a
    # page is CPU work on the one event loop, and each more read executing beside it
    # adds its work ahead of every step of a write (bench/graphql_busy.py measured it).
    # Two, not one: a report that waits on the database (a valuation or usage report
    # takes hundreds of ms) leaves a place for the dashboards; writes measured alike.
    graphql_reads_at_once: Annotated[int, Field(ge=0, le=400)] = 2
    # The other fast paths built on libraries' private internals, each with a way out for
    # the day an upgrade breaks one (README, "Dependencies and fast paths"); the response
    # cache's is ENTRIES=0 above, the list plan's GRAPHQL_FAST_EXECUTION.
    # Hot statements on the asyncpg connection under SQLAlchemy's (app/db/driver.py).
    database_driver_statements: bool = True
    # uvicorn's websocket protocol writing a loop turn's frames together (websocket_protocol.py).
    websocket_turn_batching: bool = True
    # Strawberry's per-result extension hooks found once (stream_runner.py), one execution
    # per event for identical subscriptions (subscriptions/shared.py).
    graphql_fast_subscriptions: bool = True
    # GraphQL limits; the defaults are the contract's (contracts/schema.graphql, "Limits").
    graphql_max_page_size: Annotated[int, Field(ge=1, le=10_000)] = 250
    graphql_default_page_size: Annotated[int, Field(ge=1, le=10_000)] = 50
    graphql_max_depth: Annotated[int, Field(ge=1, le=100)] = 12
    graphql_max_aliases: Annotated[int, Field(ge=1, le=10_000)] = 30
    graphql_max_tokens: Annotated[int, Field(ge=1, le=1_000_000)] = 10_000
    graphql_cost_budget: Annotated[int, Field(ge=1, le=10_000_000)] = 2000
    graphql_cost_refill_per_second: Annotated[int, Field(ge=1, le=10_000_000)] = 100

    @field_validator("database_url")
    @classmethod
    def _asyncpg_driver(cls, value: str | None) -> str | None:
        return to_asyncpg_url(value) if value else None

    @field_validator("broadcast_url")
    @classmethod
    def _known_broadcast_backend(cls, value: str) -> str:
        if not value.startswith(
            ("memory://", "redis://", "rediss://", "postgres://", "postgresql://")
        ):
            raise ValueError("must start with memory://, redis:// or postgres://")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return level

    @model_validator(mode="after")
    def _default_page_within_the_maximum(self) -> Settings:
        if self.graphql_default_page_size > self.graphql_max_page_size:
            raise ValueError(
                f"GRAPHQL_DEFAULT_PAGE_SIZE ({self.graphql_default_page_size}) must be at most "
                f"GRAPHQL_MAX_PAGE_SIZE ({self.graphql_max_page_size})"
            )
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment is Environment.PRODUCTION:
            # Production must never fall back to embedded services or the dev identity.
            for name in ("database_url", "kafka_bootstrap_servers", "identity_url"):
                if not getattr(self, name):
                    raise ValueError(f"{name.upper()} is required when ENVIRONMENT=production")
            if self.broadcast_url.startswith("memory://"):
                raise ValueError(
                    "BROADCAST_URL=memory:// only works in one process; set redis:// or "
                    "postgres:// when ENVIRONMENT=production"
                )
        return self

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION


def load_settings() -> Settings:
    """Read settings, turning pydantic's report into one line per bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = "_".join(str(part) for part in err["loc"]).upper()
            message = err["msg"].removeprefix("Value error, ")
            # A rule across settings (production) names its variables in the message.
            lines.append(f"{name}: {message}" if name else message)
        raise SettingsError("invalid configuration: " + "; ".join(lines)) from None


def production_requested() -> bool:
    """ENVIRONMENT=production, even when the rest of the settings do not validate."""
    try:
        return Settings.model_validate({}).is_production
    except ValidationError:
        return any(
            key.upper() == "ENVIRONMENT" and value.strip().lower() == Environment.PRODUCTION
            for key, value in os.environ.items()
        )
