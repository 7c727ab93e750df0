"""Sibling inventoryItems pages of one operation read in one statement.

graphql-core starts an operation's root fields together (and the items of a list), so
`head: inventoryItems(first: 250)` and `tail: inventoryItems(last: 250)` ask for their
pages in the same turn of the event loop. Each page (with availableToSell at the
locations its nodes ask, if any) waits here for one loop turn; the pages gathered by
then that ask for the same locations (and the same columns, and stocks or not) are read
as one UNION ALL statement (app.db.queries.items.items_pages_with_availability, or
items_pages_with_stocks with their items' stocks joined): one round trip on the
request's read connection instead of one per page. A page asked later is
simply read in a later batch: batching saves round trips and never changes an answer.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from app.db.driver import Transactional
from app.db.queries.items import ItemsPage, items_pages_with_availability, items_pages_with_stocks
from app.db.queries.keyset import KeysetResult
from graphql_schema.context import Context

# A page, and its items' stocks (rows by item id) when they were read with it.
PageRead = tuple[KeysetResult, Mapping[uuid.UUID, list[Any]] | None]
# What a batch's pages share: locations, item columns, stock columns (None: no stocks).
_Batch = tuple[tuple[uuid.UUID, ...], frozenset[str] | None, frozenset[str] | None]


@dataclass(eq=False)
class _Asked:
    page: ItemsPage
    answer: asyncio.Future[PageRead] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class ItemPages:
    """One request's batches (keyed by its read connection, see `item_pages`)."""

    def __init__(self, context: Context) -> None:
        self._context = context
        # The pages of one statement read the same columns and stocks.
        self._asked: dict[_Batch, list[_Asked]] = {}
        self._running: set[asyncio.Task[None]] = set()

    async def read(
        self,
        page: ItemsPage,
        locations: Sequence[uuid.UUID],
        columns: frozenset[str] | None = None,
        stock_columns: frozenset[str] | None = None,
    ) -> PageRead:
        """The page, with availableToSell at `locations`, its item columns outside
        `columns` (None: all) NULL; with its items' stocks (every location) reading
        `stock_columns`, if given."""
        asked = _Asked(page)
        if not self._asked:
            asyncio.get_running_loop().call_soon(self._dispatch)
        self._asked.setdefault((tuple(locations), columns, stock_columns), []).append(asked)
        return await asked.answer

    def _dispatch(self) -> None:
        batches, self._asked = self._asked, {}
        for batch, asked in batches.items():
            task = asyncio.create_task(self._read(batch, asked))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _read(self, batch: _Batch, asked: list[_Asked]) -> None:
        try:
            results = await self._context.read_driver(
                partial(_read_pages, self._context.merchant_id, [a.page for a in asked], batch)
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


async def _read_pages(
    merchant_id: uuid.UUID, pages: list[ItemsPage], batch: _Batch, unit: Transactional
) -> list[PageRead]:
    locations, columns, stock_columns = batch
    if stock_columns is None:
        read = await items_pages_with_availability(unit, merchant_id, pages, locations, columns)
        return [(result, None) for result in read]
    results, stocks = await items_pages_with_stocks(
        unit, merchant_id, pages, locations, columns, stock_columns
    )
    return [(result, stocks) for result in results]


def item_pages(context: Context) -> ItemPages:
    """The request's batcher: it lives as long as the request (its context)."""
    pages = context.batchers.get(__name__)
    if pages is None:
        pages = context.batchers[__name__] = ItemPages(context)
    return pages  # type: ignore[no-any-return]
