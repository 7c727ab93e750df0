"""How every service holds a transaction: `async with uow.transaction() as session`.

One `UnitOfWork` per process, made from the engine by the composition root and passed
into every service. A transaction is one AsyncSession: ORM and Core statements run on
it, and the hot path's driver statements (`app.db.driver.driver_connection(session)`)
run on the same connection, inside the same transaction. Committed on a clean exit,
rolled back otherwise; nothing a service writes is visible before that.

`transaction(lock_keys=...)` begins the transaction together with transaction-scoped
advisory locks (`locked_transaction`: BEGIN and the locks in one round trip); the sale
order flows (payments, kitchen tickets) take theirs that way.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.db.driver import DRIVER_INFO_KEY, locked_transaction


class UnitOfWork(async_sessionmaker[AsyncSession]):
    """The session factory of an engine, and the one way services begin a transaction.

    It is still an `async_sessionmaker` (reads and tests open plain sessions with it),
    but services write only through `transaction`.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine, expire_on_commit=False, autoflush=False)
        self.engine = engine

    def read_sessions(self) -> async_sessionmaker[AsyncSession]:
        """Sessions of the same engine that read without a transaction (no BEGIN, no
        ROLLBACK): each read sees what is committed. For reads only."""
        return async_sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT"),
            expire_on_commit=False,
            autoflush=False,
        )

    @contextlib.asynccontextmanager
    async def transaction(self, *, lock_keys: Iterable[str] = ()) -> AsyncIterator[AsyncSession]:
        """One transaction as a session; with `lock_keys`, begun holding their advisory
        locks (taken in one order, so overlapping sets wait rather than deadlock)."""
        keys = list(lock_keys)
        if not keys:
            async with self.begin() as session:
                yield session
            return
        async with (
            self.engine.connect() as connection,
            locked_transaction(connection, keys) as driver,
        ):
            # Bound to the connection inside the driver's transaction: the session's own
            # commit and rollback are no-ops there; `locked_transaction` ends it.
            session = AsyncSession(
                bind=connection,
                expire_on_commit=False,
                autoflush=False,
                info={DRIVER_INFO_KEY: driver},
            )
            try:
                yield session
            finally:
                await session.close()
