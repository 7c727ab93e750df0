"""load_all: a loader's answers for a whole column, one batch call for what it has not
cached, the rest from its cache; what `load_many` answers."""

from __future__ import annotations

import pytest
from strawberry.dataloader import DataLoader

from graphql_schema.loaders import load_all


def counting_loader() -> tuple[DataLoader[int, str], list[list[int]]]:
    calls: list[list[int]] = []

    async def load(keys: list[int]) -> list[str | BaseException]:
        calls.append(list(keys))
        return [ValueError(f"bad {key}") if key < 0 else f"v{key}" for key in keys]

    return DataLoader(load_fn=load), calls


async def test_one_batch_for_the_keys_not_cached_and_the_answers_in_key_order() -> None:
    loader, calls = counting_loader()
    assert await loader.load(2) == "v2"

    answers = await load_all(loader, [3, 2, 1, 3])

    assert answers == ["v3", "v2", "v1", "v3"]
    assert calls == [[2], [3, 1]]  # 2 was cached; 3 asked once
    assert await loader.load_many([1, 3]) == ["v1", "v3"]  # primed: no further call
    assert calls == [[2], [3, 1]]


async def test_an_error_answered_for_a_key_is_raised() -> None:
    loader, _ = counting_loader()

    with pytest.raises(ValueError, match="bad -1"):
        await load_all(loader, [1, -1])
