"""Cleaning free-text input (names, codes, reasons) the same way in every write."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from app.domain.errors import DomainError, FieldPath, ProblemCollector, UserErrorCode
from app.domain.text import NUL

T = TypeVar("T")
P = ParamSpec("P")


def required_text(
    value: str | None, field: FieldPath, problems: ProblemCollector, *, max_length: int
) -> str | None:
    """Stripped text; missing or blank is REQUIRED, longer than `max_length` INVALID."""
    text = (value or "").strip()
    if not text:
        problems.add(UserErrorCode.REQUIRED, "is required", field)
        return None
    if NUL in text:
        problems.add(UserErrorCode.INVALID, "must not contain NUL characters", field)
        return None
    if len(text) > max_length:
        problems.add(UserErrorCode.INVALID, f"at most {max_length} characters", field)
        return None
    return text


def optional_text(
    value: str | None, field: FieldPath, problems: ProblemCollector, *, max_length: int
) -> str | None:
    """Stripped text, or None when missing or blank; longer than `max_length` is INVALID."""
    text = (value or "").strip()
    if NUL in text:
        problems.add(UserErrorCode.INVALID, "must not contain NUL characters", field)
        return None
    if len(text) > max_length:
        problems.add(UserErrorCode.INVALID, f"at most {max_length} characters", field)
        return None
    return text or None


def collect(
    problems: ProblemCollector, check: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> T | None:
    """Run a check that raises DomainError; keep its problems instead of stopping."""
    try:
        return check(*args, **kwargs)
    except DomainError as error:
        problems.problems.extend(error.problems)
        return None
