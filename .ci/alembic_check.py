"""`alembic check` against a fresh embedded PostgreSQL migrated to head (models vs migrations)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from app.db.migrate import upgrade_to_head
from app.embedded import EmbeddedPostgres


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="alembic-check-") as tmp:
        server = EmbeddedPostgres(Path(tmp) / "pg")
        url = server.start()
        try:
            upgrade_to_head(url)
            env = {**os.environ, "DATABASE_URL": url}
            return subprocess.call([sys.executable, "-m", "alembic", "check"], env=env)
        finally:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
