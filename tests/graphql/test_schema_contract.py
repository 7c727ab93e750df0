"""The printed schema is committed and current, and it keeps the contract."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from graphql_schema.print_schema import SCHEMA_FILE, printed_schema

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "contracts" / "tools" / "graphql_contract_check.py"
CONTRACT = ROOT / "contracts" / "schema.graphql"
# The extension files the service implements, read after the base as one document.
EXTENSIONS = [
    ROOT / "contracts" / "units-and-prep.graphql",
    ROOT / "contracts" / "counts-and-variance.graphql",
    ROOT / "contracts" / "purchasing-and-valuation.graphql",
]


def test_the_committed_schema_is_what_the_code_prints() -> None:
    assert SCHEMA_FILE.read_text() == printed_schema(), (
        "graphql_schema/schema.graphql drifted: run python -m graphql_schema.print_schema"
    )


def test_the_contract_check_finds_no_difference() -> None:
    run = subprocess.run(
        [sys.executable, str(CHECK), str(SCHEMA_FILE), str(CONTRACT), *map(str, EXTENSIONS)],
        capture_output=True,
        text=True,
        check=False,
    )

    files = ", ".join(path.name for path in [CONTRACT, *EXTENSIONS])
    assert run.stdout.strip() == f"0 differences from {files}", run.stdout
    assert run.returncode == 0
