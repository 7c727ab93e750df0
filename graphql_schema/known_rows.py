"""A loader that answers some keys from rows another read brought along.

A page's recipes are read with their lines' materials (app/db/queries/recipes.py), so
the material loader need not query them again. Priming its cache would cost a future
per material (hundreds on a page, ~0.6 µs each) whether or not anything asks the
loader; the reads are kept aside instead, indexed only when the loader is asked, and
its batch takes what it finds there before it queries the rest. Forgetting a key (after
a write) drops its kept row too, so a later load reads it afresh.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from typing import Any, Generic, TypeVar

from strawberry.dataloader import DataLoader

K = TypeVar("K", bound=Hashable)


class KnownRows(Generic[K]):
    """Rows by key, from sources kept as they came (`keys_of` gives a source's (key, kept)
    pairs) and indexed only when a key is asked for; each row made (`make` of what was
    kept) only when asked. A later source's row of a key replaces an earlier one's."""

    def __init__(
        self, keys_of: Callable[[Any], Iterable[tuple[K, Any]]], make: Callable[[Any], Any]
    ) -> None:
        self._keys_of = keys_of
        self._make = make
        self._sources: list[Any] = []
        self._kept: dict[K, Any] = {}

    def keep(self, source: Any) -> None:
        self._sources.append(source)

    def take(self, keys: Iterable[K]) -> tuple[dict[K, Any], list[K]]:
        """The rows of the keys kept, and the keys that were not."""
        kept = self._indexed()
        found: dict[K, Any] = {}
        missing: list[K] = []
        for key in keys:
            row = kept.get(key)
            if row is None:
                missing.append(key)
            else:
                found[key] = self._make(row)
        return found, missing

    def drop(self, key: K) -> None:
        self._indexed().pop(key, None)

    def drop_all(self) -> None:
        self._sources.clear()
        self._kept.clear()

    def _indexed(self) -> dict[K, Any]:
        # In the order kept: a source kept before a drop is indexed before it.
        for source in self._sources:
            self._kept.update(self._keys_of(source))
        self._sources.clear()
        return self._kept


class KnownRowsLoader(DataLoader[K, Any]):
    """A DataLoader whose batch answers kept rows first, then `query`s the others (rows by
    key, absent ones answered None)."""

    def __init__(
        self, known: KnownRows[K], query: Callable[[list[K]], Awaitable[Mapping[K, Any]]]
    ) -> None:
        async def load(keys: list[K]) -> list[Any]:
            found, missing = known.take(keys)
            if missing:
                found.update(await query(missing))
            return [found.get(key) for key in keys]

        super().__init__(load_fn=load)
        self.known = known

    def clear(self, key: K) -> None:
        self.known.drop(key)
        super().clear(key)

    def clear_many(self, keys: Iterable[K]) -> None:
        for key in keys:
            self.clear(key)

    def clear_all(self) -> None:
        self.known.drop_all()
        super().clear_all()
