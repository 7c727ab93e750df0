"""Business-rule failures with the contract's codes; translated only at the edges."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

FieldPath = tuple[str | int, ...]


class UserErrorCode(StrEnum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    ARCHIVED = "ARCHIVED"
    DUPLICATE = "DUPLICATE"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    CHANGE_FROM_QUANTITY_STALE = "CHANGE_FROM_QUANTITY_STALE"
    IDEMPOTENCY_KEY_MISMATCH = "IDEMPOTENCY_KEY_MISMATCH"
    INVALID_STATE = "INVALID_STATE"
    UNIT_MISMATCH = "UNIT_MISMATCH"


@dataclass(frozen=True)
class Problem:
    code: UserErrorCode
    message: str
    field: FieldPath | None = None


class DomainError(Exception):
    """One or more problems of one request, reported together."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("a DomainError needs at least one problem")
        self.problems = list(problems)
        super().__init__("; ".join(p.message for p in self.problems))

    @classmethod
    def one(cls, code: UserErrorCode, message: str, field: FieldPath | None = None) -> DomainError:
        return cls([Problem(code, message, field)])

    @property
    def codes(self) -> list[UserErrorCode]:
        return [p.code for p in self.problems]


class ProblemCollector:
    """Collect every problem of a request, then raise once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, code: UserErrorCode, message: str, field: FieldPath | None = None) -> None:
        self.problems.append(Problem(code, message, field))

    def raise_if_any(self) -> None:
        if self.problems:
            raise DomainError(self.problems)
