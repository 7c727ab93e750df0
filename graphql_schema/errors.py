"""How failures reach clients: userErrors for business rules, coded top-level errors otherwise."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from app.domain.errors import DomainError, UserErrorCode

strawberry.enum(UserErrorCode, name="UserErrorCode")

# extensions.code of top-level errors this package raises on purpose.
BAD_USER_INPUT = "BAD_USER_INPUT"
UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
UNAVAILABLE = "UNAVAILABLE"
NOT_FOUND = "NOT_FOUND"


@strawberry.type
class UserError:
    field: list[str] | None
    message: str
    code: UserErrorCode


def user_errors(error: DomainError) -> list[UserError]:
    """Every problem of a DomainError, its field path as strings ("lines", "0", "quantity")."""
    return [
        UserError(
            field=None if p.field is None else [str(part) for part in p.field],
            message=p.message,
            code=p.code,
        )
        for p in error.problems
    ]


class ClientError(GraphQLError):
    """A deliberate top-level error with a stable extensions.code; never masked."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, extensions={"code": code})


def bad_input(message: str) -> ClientError:
    return ClientError(message, BAD_USER_INPUT)


def not_found(message: str) -> ClientError:
    """A non-null report about an object the caller's merchant does not have."""
    return ClientError(message, NOT_FOUND)
