"""What an error answer must never carry: SQL, driver names, Python tracebacks, file paths."""

from __future__ import annotations

import re

# Each pattern names something only the server's inside knows.
_LEAKS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"traceback \(most recent call last\)",
        r'file "[^"]+\.py", line \d+',
        r"\.py:\d+",
        r"sqlalchemy",
        r"asyncpg",
        r"psycopg",
        r"\bselect\b[^\"]{0,200}\bfrom\b\s+\w",
        r"\binsert into\b",
        r"\bupdate\s+\w+\s+set\b",
        r"\bdelete from\b",
        r"\bsqlstate\b",
        r"\bsyntax error at or near\b",
        r"site-packages",
        r"/work/",
    )
]


def leaks(text: str, sent: str = "") -> list[str]:
    """The leak patterns found in a response body (empty when it is clean). A match that
    is the request's own text echoed back is not one: a validation error quotes the
    literal a client sent, and a fuzzer sends these very words (Hypothesis draws string
    constants from the code under test, this module's among them)."""
    echoed = sent.lower()
    return [
        p.pattern
        for p in _LEAKS
        if any(match.group(0).lower() not in echoed for match in p.finditer(text))
    ]
