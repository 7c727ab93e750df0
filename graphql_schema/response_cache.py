"""The store of the GraphQL response cache: bounded, least recently used first out.

An entry is the `data` of an error-free query result, already JSON-encoded, with what
a hit needs to answer as the uncached path would (the cost estimate and the actual
cost, the actions the root fields require) and the data version of its merchant when
it was computed (app/db/data_versions.py). An entry is served only while that version
is current and it is younger than `max_age` (a safety net: notifications are the
invalidation). Bounded by entries and by bytes of data.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from app.auth.actions import Action
from app.db.data_versions import Token

# (merchant, document text, operation name, canonical JSON of the variables)
Key = tuple[uuid.UUID, str, str | None, str]

# What an entry costs besides its data (key, tuple, dict slot): a rough constant.
ENTRY_OVERHEAD = 512


@dataclass(frozen=True, slots=True)
class Entry:
    token: Token
    stored_at: float
    data_json: bytes
    requested_cost: int | None
    actual_cost: int | None
    actions: frozenset[Action]
    size: int


class ResponseCache:
    def __init__(
        self,
        *,
        max_entries: int,
        max_bytes: int,
        max_age: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_age = max_age
        self._clock = clock
        self._entries: OrderedDict[Key, Entry] = OrderedDict()
        self._bytes = 0
        self.stores = 0

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0 and self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def get(self, key: Key, token: Token) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.token != token or self._clock() - entry.stored_at > self.max_age:
            self._drop(key, entry)
            return None
        self._entries.move_to_end(key)
        return entry

    def put(
        self,
        key: Key,
        token: Token,
        data_json: bytes,
        *,
        requested_cost: int | None,
        actual_cost: int | None,
        actions: frozenset[Action],
    ) -> bool:
        size = len(data_json) + len(key[1]) + len(key[3]) + ENTRY_OVERHEAD
        if not self.enabled or size > self.max_bytes:
            return False
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old.size
        entry = Entry(token, self._clock(), data_json, requested_cost, actual_cost, actions, size)
        self._entries[key] = entry
        self._bytes += size
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= evicted.size
        self.stores += 1
        return True

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    def _drop(self, key: Key, entry: Entry) -> None:
        del self._entries[key]
        self._bytes -= entry.size
