"""Print the served schema to graphql_schema/schema.graphql, or check it has not drifted.

python -m graphql_schema.print_schema          # rewrite the committed file
python -m graphql_schema.print_schema --check  # exit 1 when code and file differ
"""

from __future__ import annotations

import sys
from pathlib import Path

from app.settings import Environment, Settings
from graphql_schema.schema import build_schema

SCHEMA_FILE = Path(__file__).resolve().parent / "schema.graphql"


def printed_schema() -> str:
    return build_schema(Settings(environment=Environment.DEVELOPMENT)).as_str() + "\n"


def main(argv: list[str]) -> int:
    text = printed_schema()
    if "--check" in argv:
        if not SCHEMA_FILE.exists() or SCHEMA_FILE.read_text() != text:
            print(f"{SCHEMA_FILE} is out of date: run python -m graphql_schema.print_schema")
            return 1
        print(f"{SCHEMA_FILE.name} is up to date")
        return 0
    SCHEMA_FILE.write_text(text)
    print(f"wrote {SCHEMA_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
