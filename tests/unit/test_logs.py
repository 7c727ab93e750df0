"""Log lines: JSON for machines (no terminal colour codes in them), text for people."""

from __future__ import annotations

import io
import json
import logging

import pytest

from app.logs import JsonFormatter, TextFormatter, wants_text


def _record(**extra: object) -> logging.LogRecord:
    record = logging.LogRecord("uvicorn.error", logging.INFO, "", 0, "Uvicorn running", (), None)
    record.__dict__.update(extra)
    return record


def test_json_lines_leave_out_uvicorns_coloured_copy_of_the_message() -> None:
    line = JsonFormatter().format(_record(color_message="\x1b[1mUvicorn running\x1b[0m", rows=3))

    entry = json.loads(line)
    assert entry["message"] == "Uvicorn running"
    assert entry["rows"] == 3
    assert "color_message" not in entry
    assert "\x1b" not in line


def test_text_lines_read_as_a_sentence_with_the_extra_fields_after() -> None:
    line = TextFormatter().format(_record(rows=3))

    assert "INFO" in line
    assert "uvicorn.error: Uvicorn running  rows=3" in line


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("log_format", "terminal", "text"),
    [
        ("auto", True, True),
        ("auto", False, False),
        ("json", True, False),
        ("text", False, True),
    ],
)
def test_the_format_follows_log_format_and_the_terminal(
    log_format: str, terminal: bool, text: bool
) -> None:
    stream = _Terminal() if terminal else io.StringIO()
    assert wants_text(log_format, stream) is text
