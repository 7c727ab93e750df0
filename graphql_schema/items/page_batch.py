"""Sibling inventoryItems pages of one operation read in one statement.

graphql-core starts an operation's root fields together (and the items of a list), so
`head: inventoryItems(first: 250)` and `tail: inventoryItems(last: 250)` ask for their
pages in the same turn of the event loop. Each page (with availableToSell at the
locations its nodes ask, if any) waits here for one loop turn; the pages gathered by
then that ask for the same locations are read as
one UNION ALL statement (app.db.queries.items.items_pages_with_availability): one round
trip on the request's read connection instead of one per page. A page asked later is
simply read in a later batch: batching saves round trips and never changes an answer.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.db.queries.items import ItemsPage, items_pages_with_availability
from app.db.queries.keyset import KeysetResult
from graphql_schema.context import Context


@dataclass(eq=False)
class _Asked:
    page: ItemsPage
    answer: asyncio.Future[KeysetResult] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class ItemPages:
    """One request's batches (keyed by its read connection, see `item_pages`)."""

    def __init__(self, context: Context) -> None:
        self._context = context
        # By (locations, columns read): the pages of one statement read the same columns.
        self._asked: dict[tuple[tuple[uuid.UUID, ...], frozenset[str] | None], list[_Asked]] = {}
        self._running: set[asyncio.Task[None]] = set()

    async def read(
        self,
        page: ItemsPage,
        locations: Sequence[uuid.UUID],
        columns: frozenset[str] | None = None,
    ) -> KeysetResult:
        """The page, with availableToSell at `locations`, its item columns outside
        `columns` (None: all) NULL."""
        asked = _Asked(page)
        if not self._asked:
            asyncio.get_running_loop().call_soon(self._dispatch)
        self._asked.setdefault((tuple(locations), columns), []).append(asked)
        return await asked.answer

    def _dispatch(self) -> None:
        batches, self._asked = self._asked, {}
        for (locations, columns), asked in batches.items():
            task = asyncio.create_task(self._read(locations, columns, asked))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _read(
        self,
        locations: tuple[uuid.UUID, ...],
        columns: frozenset[str] | None,
        asked: list[_Asked],
    ) -> None:
        merchant_id = self._context.merchant_id
        pages = [a.page for a in asked]
        try:
            results = await self._context.read_driver(
                lambda unit: items_pages_with_availability(
                    unit, merchant_id, pages, locations, columns
                )
            )
        except asyncio.CancelledError:
            for a in asked:
                a.answer.cancel()
            raise
        except Exception as exc:
            for a in asked:
                if not a.answer.done():
                    a.answer.set_exception(exc)
            return
        for a, result in zip(asked, results, strict=True):
            if not a.answer.done():
                a.answer.set_result(result)


def item_pages(context: Context) -> ItemPages:
    """The request's batcher: it lives as long as the request (its context)."""
    pages = context.batchers.get(__name__)
    if pages is None:
        pages = context.batchers[__name__] = ItemPages(context)
    return pages  # type: ignore[no-any-return]
