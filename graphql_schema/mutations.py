"""What every mutation shares: call one service as the caller, then read back what it
changed for the payload, or turn its DomainError into userErrors."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from app.db.unit_of_work import UnitOfWork
from app.domain.errors import DomainError
from app.services.context import Actor
from graphql_schema.context import Info
from graphql_schema.errors import UserError, user_errors
from graphql_schema.ids import NO_ROW, parse_id

R = TypeVar("R")
T = TypeVar("T")


async def mutate(
    info: Info,
    write: Callable[[UnitOfWork, Actor], Awaitable[R]],
    read_back: Callable[[Info, R], Awaitable[T]],
) -> tuple[T | None, list[UserError]]:
    """`write` with the request's unit of work and actor; on success, what `read_back`
    reads of its result for the payload (fresh: it makes the loaders forget what the write
    changed), and no userErrors. A DomainError becomes None and its problems as
    userErrors (never a top-level error)."""
    context = info.context
    try:
        result = await write(context.sessions, context.actor)
    except DomainError as error:
        return None, user_errors(error)
    return await read_back(info, result), []


def input_id(value: str, type_name: str) -> uuid.UUID:
    """An id argument for a service: one that names nothing becomes NO_ROW, so the service
    reports NOT_FOUND at its own field path together with every other problem."""
    return parse_id(value, type_name) or NO_ROW


def optional_input_id(value: str | None, type_name: str) -> uuid.UUID | None:
    return None if value is None else input_id(value, type_name)
