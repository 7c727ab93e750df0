"""A level's awaitables settled together, in lockstep rounds, without a task each."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any

from graphql_schema.list_plan.columns import Column, Unplanned


async def settle_with_batches(
    waiting: list[tuple[Column, int]], columns: list[Any], batches: list[int], size: int
) -> None:
    """`settle(waiting)` and the batched fields' columns (awaitables at `batches` in
    `columns`) together, each batch's column put in its place."""
    done = await asyncio.gather(settle(waiting), *(columns[at] for at in batches))
    for at, column in zip(batches, done[1:], strict=True):
        if type(column) is not list or len(column) != size:
            raise Unplanned  # not one value per object: graphql-core's to answer
        columns[at] = column


async def settle(waiting: list[tuple[Column, int]]) -> None:
    """Await every awaitable of a level together, writing each value in its place.

    Every object's resolver runs up to its first wait in the same loop turn, so each
    dataloader answers the level in one batch; after that, whichever waits are over go on
    together (a batch answers all its keys at once, so they stay together). No task is
    made per object: each awaitable is stepped as a task would step it.
    """
    running: list[Running] = []
    try:
        for column, at in waiting:
            step(running, column, at, column[at].__await__())
        while running:
            futures = [yielded for *_, yielded in running if yielded is not None]
            if any(not isinstance(future, asyncio.Future) for future in futures):
                raise Unplanned  # something other than asyncio's futures
            if len(futures) == len(running):
                await asyncio.wait(futures, return_when=asyncio.FIRST_COMPLETED)
            else:
                await asyncio.sleep(0)  # a bare yield: go on at the next turn
            current, running = running, []
            for entry in current:
                yielded = entry[3]
                if yielded is None or yielded.done():
                    step(running, entry[0], entry[1], entry[2])
                else:
                    running.append(entry)
    except BaseException:
        for entry in running:
            entry[2].close()
        raise


Running = tuple[Column, int, Generator[Any, None, Any], Any]


def step(
    running: list[Running],
    column: Column,
    at: int,
    steps: Generator[Any, None, Any],
) -> None:
    try:
        yielded = steps.send(None)
    except StopIteration as stop:
        column[at] = stop.value
    else:
        if isinstance(yielded, asyncio.Future):
            # What a task does with a future it is handed: another awaiter of the same
            # future (two stocks of one location) may now yield it too.
            yielded._asyncio_future_blocking = False
        running.append((column, at, steps, yielded))
