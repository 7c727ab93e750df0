"""Strawberry's extension runner with its per-result work done once per operation.

Each result a subscription streams goes through `get_extensions_results` (every
extension's `get_results`, awaited through `inspect.isawaitable`) and a new
`StreamResultContextManager` (every extension's hooks looked up and wrapped again).
The extensions of an operation do not change while it runs, so which of them
contribute results and which hook `on_stream_result` is found once, on the first
result; every result still calls the same hooks and `get_results`, in the same order,
with the same exception handling (Strawberry's own context manager enters them).
"""

from __future__ import annotations

import inspect
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, cast

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import StreamResultContextManager, WrappedHook
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext, StreamExecutionResult

_DEFAULT_GET_RESULTS = SchemaExtension.get_results


def contributes_results(extension: SchemaExtension) -> bool:
    """Whether `get_results` may return anything but the base class's `{}`."""
    return type(extension).get_results is not _DEFAULT_GET_RESULTS or "get_results" in getattr(
        extension, "__dict__", {}
    )


class _StreamResultHooks(StreamResultContextManager):
    """Strawberry's context manager for one result, with hooks found beforehand."""

    def __init__(self, hooks: list[WrappedHook], result: StreamExecutionResult) -> None:
        # The base __init__ would look every extension's hook up again.
        self.hooks = hooks
        self.result = result


class _OneSyncHook:
    """What Strawberry's manager does for a single synchronous hook, without its
    AsyncExitStack (the production schema has one: MaskUnexpectedErrors)."""

    __slots__ = ("_entered", "_hook", "_result")

    def __init__(self, hook: WrappedHook, result: StreamExecutionResult) -> None:
        self._hook = hook
        self._result = result

    async def __aenter__(self) -> None:
        entered = cast(AbstractContextManager[None], self._hook.hook(self._result))
        entered.__enter__()
        self._entered = entered

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> bool:
        return bool(self._entered.__exit__(exc_type, exc_val, exc_tb))


class StreamingExtensionsRunner(SchemaExtensionsRunner):
    _contributing: list[SchemaExtension] | None = None
    _stream_hooks: list[WrappedHook] | None = None

    def on_stream_result(  # type: ignore[override]
        self, result: StreamExecutionResult
    ) -> StreamResultContextManager | _OneSyncHook:
        hooks = self._stream_hooks
        if hooks is None:
            hooks = self._stream_hooks = StreamResultContextManager(self.extensions, result).hooks
        if len(hooks) == 1 and not hooks[0].is_async:
            return _OneSyncHook(hooks[0], result)
        return _StreamResultHooks(hooks, result)

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        contributing = self._contributing
        if contributing is None:
            contributing = self._contributing = [
                extension for extension in self.extensions if contributes_results(extension)
            ]
        data: dict[str, Any] = {}
        for extension in contributing:
            results = extension.get_results()
            data.update(await results if inspect.isawaitable(results) else results)
        data.update(ctx.extensions_results)
        return data
