"""What each reliability test measured, written to tests/reliability/.results/ as JSON.

`summarize.py` renders these files as the table in RELIABILITY.md. A test fills in
its `Report` as it goes (before its assertions, so a failing run still shows its
figures); the conftest writes it with the test's outcome.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / ".results"


@dataclass
class Report:
    scenario: str = ""
    category: str = ""
    # What was done to the system, e.g. "consumer kill -9 x5".
    faults: str = "none"
    faults_injected: int = 0
    # Messages, requests or inputs that went through the system.
    events_processed: int | None = None
    # Events whose effect is missing at the end (must be 0).
    events_lost: int | None = None
    # Events whose effect was applied more than once (must be 0).
    duplicates_applied: int | None = None
    notes: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def regression(self, was: str, fixed_in: str, faults: str = "1 hostile input") -> None:
        """A check of a bug this suite found: what it was, and the commit that fixed it."""
        self.faults = faults
        self.faults_injected = 1
        self.events_processed = 1
        self.events_lost = 0
        self.duplicates_applied = 0
        self.notes = f"found by this suite (was: {was}); fixed in {fixed_in}"
        self.details.update(was=was, fixed_in=fixed_in)

    def write(self, test_id: str, outcome: str, seconds: float) -> Path:
        RESULTS_DIR.mkdir(exist_ok=True)
        path = RESULTS_DIR / f"{_file_name(test_id)}.json"
        document = {**asdict(self), "test": test_id, "result": outcome, "seconds": seconds}
        path.write_text(json.dumps(document, indent=2, default=str) + "\n")
        return path


def _file_name(test_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", test_id.removeprefix("tests/reliability/"))[:150]


def load_all(directory: Path = RESULTS_DIR) -> list[dict[str, Any]]:
    if not directory.is_dir():
        return []
    return [
        json.loads(p.read_text()) for p in sorted(directory.glob("*.json")) if p.name != "run.json"
    ]
