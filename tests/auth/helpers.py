from __future__ import annotations

import asyncio
from collections.abc import Callable


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait (without blocking the loop, at most 5 s) until `condition()` holds.

    Polls: the conditions change in the fake server's thread, which no asyncio.Event sees.
    """
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
