"""The response cache's store: versions, max age, and its bounds (entries, bytes)."""

from __future__ import annotations

import uuid

from app.auth.actions import Action
from graphql_schema.response_cache import ENTRY_OVERHEAD, Key, ResponseCache

READ = frozenset({Action.READ})
M = uuid.UUID("00000000-0000-7000-8000-00000000000a")


def _key(n: int) -> Key:
    return (M, f"{{ q{n} }}", None, "{}")


def _put(cache: ResponseCache, n: int, token: tuple[int, int] = (0, 0), size: int = 10) -> bool:
    return cache.put(_key(n), token, b"x" * size, requested_cost=5, actual_cost=3, actions=READ)


def test_an_entry_is_served_only_at_its_version_and_age() -> None:
    now = [0.0]
    cache = ResponseCache(max_entries=10, max_bytes=10**6, max_age=60, clock=lambda: now[0])
    assert _put(cache, 1, (0, 4))
    entry = cache.get(_key(1), (0, 4))
    assert entry is not None
    assert (entry.requested_cost, entry.actual_cost, entry.data_json) == (5, 3, b"x" * 10)
    assert cache.get(_key(1), (0, 5)) is None  # the merchant's data moved on
    assert len(cache) == 0  # and the stale entry is gone
    assert _put(cache, 1, (1, 0))
    now[0] = 60.5
    assert cache.get(_key(1), (1, 0)) is None  # past the max age
    assert cache.size_bytes == 0


def test_least_recently_used_entries_go_first() -> None:
    cache = ResponseCache(max_entries=2, max_bytes=10**6, max_age=60)
    _put(cache, 1)
    _put(cache, 2)
    assert cache.get(_key(1), (0, 0)) is not None  # 1 is now the most recent
    _put(cache, 3)
    assert cache.get(_key(2), (0, 0)) is None
    assert cache.get(_key(1), (0, 0)) is not None
    assert cache.get(_key(3), (0, 0)) is not None


def test_the_byte_bound_holds() -> None:
    per_entry = 1000 + len("{ q1 }") + len("{}") + ENTRY_OVERHEAD
    cache = ResponseCache(max_entries=100, max_bytes=3 * per_entry, max_age=60)
    for n in range(1, 6):
        assert _put(cache, n, size=1000)
        assert cache.size_bytes <= 3 * per_entry
    assert len(cache) == 3
    assert not _put(cache, 9, size=10 * per_entry)  # larger than the whole cache
    cache.clear()
    assert (len(cache), cache.size_bytes) == (0, 0)


def test_zero_entries_turns_it_off() -> None:
    cache = ResponseCache(max_entries=0, max_bytes=10**6, max_age=60)
    assert not cache.enabled
    assert not _put(cache, 1)
