"""Render the reliability suite's measured figures as RELIABILITY.md.

    pytest -m reliability                      # writes tests/reliability/.results/*.json
    python -m tests.reliability.summarize      # writes RELIABILITY.md at the repository root

`--print` writes to stdout instead. Only the figures of the last run are there (a run
starts by deleting the previous one's), and run.json holds its machine and time.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tests.reliability.results import RESULTS_DIR, load_all

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "RELIABILITY.md"
CATEGORIES = ("Faults", "Load", "Bad input", "Attacks")

HEADER = """# Reliability and security

The suite in `tests/reliability/` runs the real stack — PostgreSQL, a Kafka-protocol
broker (tansu), Redis, and the service as processes (`inventory serve`, `inventory
consume`, `inventory relay`) — and injects faults, load, bad input and attacks, all on
127.0.0.1. Each test measures what it did and what came out; this file is rendered from
those measurements by `python -m tests.reliability.summarize`.

Run it with `pytest -m reliability` (the default `pytest` run leaves it out). Set
`RELIABILITY_SEED` to replay the random choices (kill points, streams) of a run; the
seed of each run is in its JSON under `tests/reliability/.results/`.
"""

COLUMNS = """
- **faults injected**: what was done to the system (and how often).
- **events processed**: messages consumed, requests answered or inputs sent.
- **events lost**: effects missing at the end — a sale order without its ledger rows, an
  outbox event never published, a dead letter missing, a cached request not served
  (must be 0).
- **duplicates applied**: effects applied more than once — ledger rows beyond a sale's
  own, a compare-and-set success counted twice, an event delivered twice by the relay
  where nothing was killed (must be 0). Re-deliveries that the ledger's unique key turned
  into no-ops are not duplicates applied; the relay's at-least-once re-sends after a
  database crash are listed in the notes.
"""


def render(results: list[dict[str, Any]], run: dict[str, Any]) -> str:
    rows = [r for r in results if r.get("category") in CATEGORIES]
    rows.sort(key=lambda r: (CATEGORIES.index(r["category"]), r["test"]))
    bugs = [r for r in results if r.get("category") == "Known bug"]
    lines = [HEADER, _run_line(run, results), "", "## Results", ""]
    lines += _table(
        [
            "area",
            "scenario",
            "faults injected",
            "events processed",
            "events lost",
            "duplicates applied",
            "result",
            "notes",
        ],
        (
            [
                r["category"],
                r["scenario"],
                r["faults"],
                _number(r["events_processed"]),
                _number(r["events_lost"]),
                _number(r["duplicates_applied"]),
                r["result"],
                r["notes"],
            ]
            for r in rows
        ),
    )
    lines += ["", COLUMNS.strip(), ""]
    found = [r for r in rows if "fixed_in" in r["details"]]
    lines += ["## Bugs this suite found", ""]
    lines += [
        "Each was first pinned as a strict xfail, then fixed; the test now guards the fix.",
        "",
    ]
    lines += _table(
        ["behaviour", "was", "fixed in", "result now"],
        (
            [r["scenario"], r["details"]["was"], r["details"]["fixed_in"], r["result"]]
            for r in found
        ),
    )
    if bugs:
        lines += ["", "## Known bugs (open)", ""]
        lines += [
            "Each is a test stating the wanted behaviour, marked `xfail(strict=True)`: it "
            "turns red the day the fix lands (then drop the mark).",
            "",
        ]
        lines += _table(
            ["behaviour", "result", "cause"],
            ([b["scenario"], b["result"], b["details"].get("cause", "")] for b in bugs),
        )
    return "\n".join(lines) + "\n"


def _run_line(run: dict[str, Any], results: list[dict[str, Any]]) -> str:
    if not run:
        return "_No run recorded._"
    load_before = ", ".join(map(str, run.get("load_average_before", [])))
    minutes = round(run.get("seconds", 0) / 60, 1)
    passed = sum(1 for r in results if r["result"] == "passed")
    xfailed = sum(1 for r in results if r["result"].startswith("xfail"))
    failed = len(results) - passed - xfailed
    return (
        f"Last run: {run['started_at']} UTC, commit {run.get('commit', 'unknown')}, "
        f"{minutes} min; {run['nproc']} CPUs (nproc), "
        f"{run['cpu']}, Python {run['python']}; load average before the run {load_before} "
        f"(other work on the machine slows every figure). "
        f"{passed} passed, {xfailed} known bugs (xfail), {failed} failed."
    )


def _number(value: Any) -> str:
    return "—" if value is None else str(value)


def _table(header: list[str], rows: Iterable[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [str(c).replace("|", "\\|").replace("\n", " ") for c in row]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render RELIABILITY.md from the last run.")
    parser.add_argument("--print", action="store_true", help="write to stdout instead")
    args = parser.parse_args(argv)
    run_file = RESULTS_DIR / "run.json"
    run = json.loads(run_file.read_text()) if run_file.exists() else {}
    text = render(load_all(), run)
    if args.print:
        sys.stdout.write(text)
    else:
        TARGET.write_text(text)
        print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
