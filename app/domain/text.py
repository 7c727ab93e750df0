"""Free text the database can store: PostgreSQL `text` cannot hold a NUL character."""

from __future__ import annotations

from collections.abc import Mapping

from app.domain.errors import FieldPath, ProblemCollector, UserErrorCode

NUL = "\x00"


def refuse_nul(problems: ProblemCollector, values: Mapping[FieldPath, str | None]) -> None:
    """INVALID for every value holding a NUL (which would otherwise fail in the INSERT)."""
    for field, value in values.items():
        if value is not None and NUL in value:
            problems.add(UserErrorCode.INVALID, "must not contain NUL characters", field)
