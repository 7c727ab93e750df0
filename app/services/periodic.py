"""A job a serving process runs in the background every so often, until stopped (the
idempotency key pruner, the ledger day settler)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

log = logging.getLogger(__name__)


class PeriodicJob:
    """Runs `run_once` every `interval` seconds, the first time `first_delay` after
    `start()`; `runs` counts the attempts. A failed run is logged and the next one tries
    again: the database may be restarting, and the process must not go down for it."""

    def __init__(
        self,
        name: str,
        run_once: Callable[[], Awaitable[None]],
        interval: float,
        first_delay: float,
    ) -> None:
        self.name = name
        self._run_once = run_once
        self._interval, self._first_delay = interval, first_delay
        self._task: asyncio.Task[None] | None = None
        self.runs = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        await asyncio.sleep(self._first_delay)
        while True:
            try:
                await self._run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(f"{self.name} failed", extra={"error": str(exc)})
            self.runs += 1
            await asyncio.sleep(self._interval)


@contextlib.asynccontextmanager
async def running(job: PeriodicJob) -> AsyncIterator[None]:
    """`job` running for the duration of the block."""
    job.start()
    try:
        yield
    finally:
        await job.stop()
