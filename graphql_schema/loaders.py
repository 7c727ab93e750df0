"""Per-request dataloaders: one query per relation per resolver tick, all within the merchant.

Every relation a page can fan out on goes through here, so a page of 100 stocks with
their items, locations and incoming quantities costs the same few queries as a page of 10.
"""

from __future__ import annotations

import contextlib
import uuid
from collections import defaultdict
from collections.abc import (
    Awaitable,
    Callable,
    Hashable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from datetime import datetime
from decimal import Decimal
from functools import cached_property, partial
from typing import Any, TypeVar, cast

from sqlalchemy import Row, Table
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from app.db import tables as t
from app.db.driver import Transactional
from app.db.queries import count_sessions as count_reads
from app.db.queries import (
    incoming,
    items,
    movements,
    productions,
    stock_history,
    stocks,
    vendors,
)
from app.db.queries import purchase_orders as orders
from app.db.queries import recipes as recipe_reads
from app.db.queries import transfers as transfer_reads
from app.db.queries._lookup import plain_rows_by_id
from app.db.queries.availability import availability_inputs
from app.domain.availability import available_to_sell
from app.domain.enums import ItemType, RecipeOwner
from app.domain.prep import producible
from graphql_schema.known_rows import KnownRows, KnownRowsLoader
from graphql_schema.plain_rows import plain_row

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# Rows by key; those of loaders read on the driver (`on_driver`) take any Transactional.
RowsById = Callable[[Any, uuid.UUID, Iterable[uuid.UUID]], Awaitable[Mapping[Any, Any]]]
AnyRow = Row[Any]
Read = Callable[[Callable[[AsyncSession], Awaitable[Any]]], Awaitable[Any]]
ReadDriver = Callable[[Callable[[Transactional], Awaitable[Any]]], Awaitable[Any]]


def _plain_by_id(table: Table) -> RowsById:
    # The rows by id as namedtuples read through the driver (DATABASE_DRIVER_STATEMENTS):
    # SQLAlchemy's row processing was ~6 µs a row more, on a page's hundreds of rows.
    async def by_id(
        unit: Transactional, merchant_id: uuid.UUID, ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, Any]:
        return await plain_rows_by_id(unit, table, merchant_id, ids)

    return by_id


def _lines_by_material(
    reads: Mapping[uuid.UUID, recipe_reads.RecipeRead],
) -> Iterator[tuple[uuid.UUID, Any]]:
    for read in reads.values():
        for line in read.lines:
            yield line.material_id, line


class Loaders:
    def __init__(
        self, read: Read, merchant_id: uuid.UUID, read_driver: ReadDriver | None = None
    ) -> None:
        self._read = read
        # Batches of driver statements only (RowsStatement), on the request's connection
        # without a session when nothing else needs one (graphql_schema/reads.py).
        self._read_driver: ReadDriver = read_driver or cast(ReadDriver, read)
        self._merchant_id = merchant_id
        self._recipe_materials: KnownRows[uuid.UUID] = KnownRows(
            _lines_by_material, partial(recipe_reads.line_material, merchant_id=merchant_id)
        )

    def _mapped(
        self, query: RowsById, default: Any = None, *, on_driver: bool = False
    ) -> DataLoader[Any, Any]:
        read = self._read_driver if on_driver else self._read

        async def load(keys: list[Any]) -> list[Any]:
            found = await read(lambda unit: query(unit, self._merchant_id, keys))
            # Rows as namedtuples: the *_from_row builders read ten attributes of each.
            return [plain_row(found.get(key, default)) for key in keys]

        return DataLoader(load_fn=load)

    @cached_property
    def location(self) -> DataLoader[uuid.UUID, AnyRow | None]:
        return self._mapped(_plain_by_id(t.location), on_driver=True)

    @cached_property
    def item(self) -> DataLoader[uuid.UUID, AnyRow | None]:
        return self._mapped(_plain_by_id(t.inventory_item), on_driver=True)

    @cached_property
    def item_by_variant(self) -> DataLoader[uuid.UUID, AnyRow | None]:
        return self._mapped(items.items_by_product_variant)

    @cached_property
    def material(self) -> KnownRowsLoader[uuid.UUID]:
        """Answers the materials of recipe lines read in this request from those reads."""

        async def query(keys: list[uuid.UUID]) -> Mapping[uuid.UUID, Any]:
            found: Mapping[uuid.UUID, Any] = await self._read_driver(
                lambda unit: plain_rows_by_id(unit, t.material, self._merchant_id, keys)
            )
            return found

        return KnownRowsLoader(self._recipe_materials, query)

    @cached_property
    def stock(self) -> DataLoader[uuid.UUID, AnyRow | None]:
        return self._mapped(_plain_by_id(t.stock), on_driver=True)

    @cached_property
    def movement(self) -> DataLoader[uuid.UUID, AnyRow | None]:
        return self._mapped(movements.movements_by_id)

    @cached_property
    def vendor(self) -> DataLoader[uuid.UUID, AnyRow | None]:
        return self._mapped(vendors.vendors_by_id)

    @cached_property
    def purchase_order(self) -> DataLoader[uuid.UUID, AnyRow | None]:
        return self._mapped(orders.purchase_orders_by_id)

    @cached_property
    def backorder(self) -> DataLoader[uuid.UUID, AnyRow | None]:
        """Keyed by the original order's id."""
        return self._mapped(orders.backorders_by_original)

    @cached_property
    def purchase_order_lines(self) -> DataLoader[uuid.UUID, list[AnyRow]]:
        return self._mapped(orders.lines_by_order, [])

    @cached_property
    def purchase_order_payments(self) -> DataLoader[uuid.UUID, list[AnyRow]]:
        return self._mapped(orders.payments_by_order, [])

    @cached_property
    def transfer(self) -> DataLoader[uuid.UUID, AnyRow | None]:
        return self._mapped(transfer_reads.transfers_by_id)

    @cached_property
    def transfer_lines(self) -> DataLoader[uuid.UUID, list[AnyRow]]:
        return self._mapped(transfer_reads.lines_by_transfer, [])

    @cached_property
    def incoming(self) -> DataLoader[uuid.UUID, Decimal]:
        return self._mapped(incoming.incoming_by_stock_id, Decimal(0))

    @cached_property
    def movement_count(self) -> DataLoader[uuid.UUID, int]:
        """Keyed by stock id: the totalCount of the stock's movements."""
        return self._mapped(movements.movement_counts, 0)

    @cached_property
    def count_session(self) -> DataLoader[uuid.UUID, AnyRow | None]:
        return self._mapped(count_reads.sessions_by_id)

    @cached_property
    def count_entries(self) -> DataLoader[tuple[uuid.UUID, uuid.UUID], list[AnyRow]]:
        """Keyed by (count session id, stock id)."""

        async def load(keys: list[tuple[uuid.UUID, uuid.UUID]]) -> list[list[AnyRow]]:
            found = await self._read(
                lambda session: count_reads.entries_by_line(session, self._merchant_id, keys)
            )
            return [found.get(key, []) for key in keys]

        return DataLoader(load_fn=load)

    @cached_property
    def on_hand_at(self) -> DataLoader[tuple[uuid.UUID, datetime], Decimal]:
        """Keyed by (stock id, moment): one statement for a page, one index probe each."""

        async def load(keys: list[tuple[uuid.UUID, datetime]]) -> list[Decimal]:
            return list(
                await self._read(
                    lambda session: stock_history.on_hand_at(session, self._merchant_id, keys)
                )
            )

        return DataLoader(load_fn=load)

    @cached_property
    def variant_recipe(self) -> DataLoader[uuid.UUID, recipe_reads.RecipeRead | None]:
        return self._recipes(RecipeOwner.PRODUCT_VARIANT)

    @cached_property
    def prep_recipe(self) -> DataLoader[uuid.UUID, recipe_reads.RecipeRead | None]:
        return self._recipes(RecipeOwner.PREP_ITEM)

    @cached_property
    def producible(self) -> DataLoader[tuple[uuid.UUID, uuid.UUID], Decimal | None]:
        """Keyed by (prep item id, location id); None for a material without a prep recipe."""

        async def load(keys: list[tuple[uuid.UUID, uuid.UUID]]) -> list[Decimal | None]:
            found = await self._read(
                lambda session: productions.producible_inputs(session, self._merchant_id, keys)
            )
            return [None if key not in found else producible(*found[key]) for key in keys]

        return DataLoader(load_fn=load)

    @cached_property
    def production(self) -> DataLoader[uuid.UUID, AnyRow | None]:
        return self._mapped(productions.productions_by_id)

    @cached_property
    def modifier_recipe(self) -> DataLoader[uuid.UUID, recipe_reads.RecipeRead | None]:
        return self._recipes(RecipeOwner.MODIFIER_OPTION)

    def _recipes(self, owner: RecipeOwner) -> DataLoader[uuid.UUID, Any]:
        async def query(
            unit: Transactional, merchant_id: uuid.UUID, keys: Iterable[uuid.UUID]
        ) -> Mapping[uuid.UUID, recipe_reads.RecipeRead]:
            found = await recipe_reads.recipes_by_owner(unit, merchant_id, owner, keys)
            # Each line came with its material's row: the material loader's, kept for it.
            self._recipe_materials.keep(found)
            return found

        return self._mapped(query, on_driver=True)

    @cached_property
    def stocks_of_item(
        self,
    ) -> DataLoader[tuple[ItemType, uuid.UUID, uuid.UUID | None], list[AnyRow]]:
        """Keyed by (item type, item id, location id or None for every location)."""

        async def load(keys: Sequence[tuple[ItemType, uuid.UUID, uuid.UUID | None]]) -> list[Any]:
            groups: dict[tuple[ItemType, uuid.UUID | None], list[uuid.UUID]] = defaultdict(list)
            for item_type, item_id, location_id in keys:
                groups[item_type, location_id].append(item_id)
            found: dict[tuple[ItemType, uuid.UUID, uuid.UUID | None], list[AnyRow]] = {}
            for (item_type, location_id), item_ids in groups.items():
                query = partial(
                    stocks.stocks_of_items,
                    merchant_id=self._merchant_id,
                    item_type=item_type,
                    item_ids=item_ids,
                    location_id=location_id,
                )
                rows = await self._read_driver(query)
                for item_id, item_rows in rows.items():
                    found[item_type, item_id, location_id] = item_rows
            return [found.get(key, []) for key in keys]

        return DataLoader(load_fn=load)

    @cached_property
    def available_to_sell(self) -> DataLoader[tuple[uuid.UUID, uuid.UUID], Decimal | None]:
        """Keyed by (inventory item id, location id); unknown pairs answer None."""

        async def load(keys: list[tuple[uuid.UUID, uuid.UUID]]) -> list[Decimal | None]:
            found = await self._read(
                lambda session: availability_inputs(session, self._merchant_id, keys)
            )
            answers: list[Decimal | None] = []
            for key in keys:
                inputs = found.get(key)
                answers.append(
                    None
                    if inputs is None
                    else available_to_sell(
                        tracked=inputs.tracked,
                        stock_available=inputs.stock_available,
                        recipe=inputs.recipe,
                    )
                )
            return answers

        return DataLoader(load_fn=load)


async def load_all(loader: DataLoader[K, V], keys: Sequence[K]) -> list[V]:
    """What `loader.load_many(keys)` answers, for a whole column at once (the list plan's
    batched fields): one call of the loader's batch function for the keys it has not
    cached, its answers primed into the cache, without a future and a callback per key
    (~3 µs each; a page's recipe lines ask for hundreds of materials)."""
    cache = loader.cache_map if loader.cache else None
    found: dict[K, V] = {}
    pending: dict[K, Awaitable[V]] = {}
    missing: list[K] = []
    for key in dict.fromkeys(keys):
        future = None if cache is None else cache.get(key)
        if future is not None and not future.cancelled():
            pending[key] = future
        else:
            missing.append(key)
    if missing:
        answers = list(await loader.load_fn(missing))
        if len(answers) != len(missing):
            raise ValueError("a loader answers one value per key")
        for answer in answers:
            if isinstance(answer, BaseException):
                raise answer
        values = cast(list[V], answers)
        answered = dict(zip(missing, values, strict=True))
        loader.prime_many(answered)
        found.update(answered)
    for key, awaiting in pending.items():
        found[key] = await awaiting
    return [found[key] for key in keys]


def forget(loader: DataLoader[K, Any], key: K) -> None:
    """Drop a cached answer (after a write), whether or not it was loaded yet."""
    with contextlib.suppress(KeyError):
        loader.clear(key)
