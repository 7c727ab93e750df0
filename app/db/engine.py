"""The async engine and session factory; created once, in the composition root."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def create_engine(
    url: str, *, pool_size: int = 10, application_name: str = "inventory"
) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
        # A database that hangs instead of refusing must still fail fast (503, retry).
        connect_args={"server_settings": {"application_name": application_name}, "timeout": 5},
        pool_timeout=10,
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
