"""Debian's chromium, headless, as Playwright launches it (no browser download: the
binary comes from the distribution's package, which .ci/run installs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")

# Nothing that reaches out on its own (updates, sync, QUIC probes): only the page's requests.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch_options() -> dict[str, Any]:
    return {"executable_path": str(CHROMIUM), "args": FLAGS, "headless": True}
