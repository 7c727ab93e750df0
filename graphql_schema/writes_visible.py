"""A write request answers only once this process has seen its commit's notification.

The GraphQL response cache (cached_reads.py) serves an entry while its merchant's data
version is current; the version moves when the commit's notification arrives. For a
write made through this process (/v1, the dev routes), the client's next read could
otherwise race that notification and get the page from before its own write. So a
request with an unsafe method holds its response start until `DataVersions.sync()`
(one round trip on the listening connection, shared by concurrent writers). GraphQL
POSTs pass through: mutations bump their merchant themselves, queries write nothing.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db.data_versions import EXTRAS_KEY, DataVersions

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class WritesVisibleMiddleware:
    def __init__(self, app: ASGIApp, *, exempt_paths: frozenset[str] = frozenset({"/graphql"})):
        self.app = app
        self.exempt_paths = exempt_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in SAFE_METHODS
            or scope["path"] in self.exempt_paths
        ):
            await self.app(scope, receive, send)
            return

        async def send_after_sync(message: Message) -> None:
            if message["type"] == "http.response.start":
                runtime = getattr(scope["app"].state, "runtime", None)
                versions = runtime.extras.get(EXTRAS_KEY) if runtime is not None else None
                if isinstance(versions, DataVersions):
                    await versions.sync()
            await send(message)

        await self.app(scope, receive, send_after_sync)
