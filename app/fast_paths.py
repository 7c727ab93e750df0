"""The process-wide switches of the fast paths built on libraries' internals.

The others are read where they are used (the schema, the uvicorn config); the driver
statements' switch is module state of app/db/driver.py, set here by each composition
root from its settings.
"""

from __future__ import annotations

from app.db.driver import use_driver_statements
from app.settings import Settings

# uvicorn's own websocket implementation, for WEBSOCKET_TURN_BATCHING=false.
PLAIN_WEBSOCKET_PROTOCOL = "websockets-sansio"


def apply_fast_paths(settings: Settings) -> None:
    use_driver_statements(settings.database_driver_statements)


def websocket_protocol(settings: Settings) -> str:
    """The `ws` option of uvicorn for these settings."""
    from app.websocket_protocol import PROTOCOL

    return PROTOCOL if settings.websocket_turn_batching else PLAIN_WEBSOCKET_PROTOCOL
