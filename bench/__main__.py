"""`python -m bench`: every benchmark in turn; each appends its figures to bench/RESULTS.md.

`python -m bench graphql relay` runs only those. Options after the names (`--no-record`,
`--duration 5`) go to each chosen benchmark: `python -m bench graphql --no-record` leaves
RESULTS.md alone. Each benchmark measures its ceiling in the same run and starts embedded
PostgreSQL/tansu when DATABASE_URL/KAFKA_BOOTSTRAP_SERVERS are not set. Run on a quiet
machine: other load skews both rows.
"""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = ["graphql", "consumer", "relay", "realtime", "availability", "counts", "replenishment"]


def main(argv: list[str]) -> int:
    # Names first; from the first option on everything (values too) goes to each benchmark,
    # so `--no-record` reaches the benchmark instead of being taken for a name.
    first_option = next((i for i, arg in enumerate(argv) if arg.startswith("-")), len(argv))
    options = argv[first_option:]
    chosen = argv[:first_option] or BENCHMARKS
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
