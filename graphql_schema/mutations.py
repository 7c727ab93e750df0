"""What every mutation shares: call one service, turn its DomainError into userErrors."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from app.domain.errors import DomainError
from graphql_schema.errors import UserError, user_errors
from graphql_schema.ids import NO_ROW, parse_id

R = TypeVar("R")


async def perform(call: Callable[[], Awaitable[R]]) -> tuple[R | None, list[UserError]]:
    """The service's result, or None and its problems as userErrors (never a top-level error)."""
    try:
        return await call(), []
    except DomainError as error:
        return None, user_errors(error)


def input_id(value: str, type_name: str) -> uuid.UUID:
    """An id argument for a service: one that names nothing becomes NO_ROW, so the service
    reports NOT_FOUND at its own field path together with every other problem."""
    return parse_id(value, type_name) or NO_ROW


def optional_input_id(value: str | None, type_name: str) -> uuid.UUID | None:
    return None if value is None else input_id(value, type_name)
