"""`python -m bench`: every benchmark in turn; each appends its figures to bench/RESULTS.md.

`python -m bench graphql relay` runs only those; options after the names (`python -m bench
counts --no-record`) go to each of them. Each benchmark measures its ceiling in the
same run and starts embedded PostgreSQL/tansu when DATABASE_URL/KAFKA_BOOTSTRAP_SERVERS are
not set. Run on a quiet machine: other load skews both rows.
"""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = [
    "graphql",
    "graphql_fields",
    "consumer",
    "relay",
    "realtime",
    "availability",
    "counts",
    "replenishment",
]


def main(argv: list[str]) -> int:
    first_option = next((n for n, arg in enumerate(argv) if arg.startswith("-")), len(argv))
    chosen, options = argv[:first_option] or BENCHMARKS, argv[first_option:]
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {BENCHMARKS}")
        return 2
    failed = []
    for name in chosen:
        print(f"== bench.{name}_bench", flush=True)
        if subprocess.call([sys.executable, "-m", f"bench.{name}_bench", *options]) != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
