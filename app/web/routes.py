"""The pages the service serves itself: the stock board and GraphiQL's assets.

Everything a page loads comes from here (app/web/static), same origin: the pages work
with no internet and need no CDN. The board is plain HTML and JavaScript on the public
GraphQL API, authenticated by a token like any client; the page itself holds no data.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
BOARD_PATH = "/board"


def graphiql_page() -> HTMLResponse:
    return HTMLResponse((STATIC / "graphiql" / "graphiql.html").read_text())


async def board(request: Request) -> FileResponse:
    return FileResponse(STATIC / "board" / "board.html", media_type="text/html")


routes: list[BaseRoute] = [
    Route(BOARD_PATH, board, methods=["GET"]),
    Mount("/static", StaticFiles(directory=STATIC), name="static"),
]
