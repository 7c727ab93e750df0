"""What a running `inventory dev` tells other commands (DATA_DIR/dev-stack.json) and people.

`inventory simulate` finds the dev stack's broker and the demo merchant's
locations here; the file exists only while the stack runs.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STATE_FILE = "dev-stack.json"


@dataclass(frozen=True)
class DevState:
    graphql_url: str
    bootstrap_servers: str | None
    kafka_enable_idempotence: bool
    token: str | None
    demo: dict[str, Any]
    main_location_id: str
    pid: int = field(default_factory=os.getpid)

    @property
    def base_url(self) -> str:
        return self.graphql_url.removesuffix("/graphql")

    def board_url(self) -> str:
        """The stock board of the MAIN location, signed in by the URL's fragment (which
        the browser keeps to itself and the page moves out of the address bar)."""
        fragment = f"locationId={self.main_location_id}"
        if self.token:
            fragment = f"token={self.token}&{fragment}"
        return f"{self.base_url}/board#{fragment}"

    def graphiql_url(self) -> str:
        """GraphiQL with the token already in its Headers tab."""
        return f"{self.graphql_url}#token={self.token}" if self.token else self.graphql_url

    @property
    def location_ids(self) -> dict[str, uuid.UUID]:
        return {code: uuid.UUID(value) for code, value in self.demo["locations"].items()}


def write(data_dir: Path, state: DevState) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / STATE_FILE
    temporary = path.with_name(f".{STATE_FILE}.{os.getpid()}")
    temporary.write_text(json.dumps(asdict(state), indent=2))
    temporary.chmod(0o600)  # it holds a token
    temporary.replace(path)


def read(data_dir: Path) -> DevState | None:
    """The running stack's state, or None (no file, or its process is gone)."""
    try:
        state = DevState(**json.loads((data_dir / STATE_FILE).read_text()))
    except (OSError, ValueError, TypeError):
        return None
    return state if _alive(state.pid) else None


def remove(data_dir: Path) -> None:
    path = data_dir / STATE_FILE
    try:
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sample_subscription(location_id: str) -> str:
    return (
        f'subscription {{ stockChanged(locationId: "{location_id}") {{ '
        "stock { item { ... on Material { name } ... on InventoryItem { name } } "
        "onHand reserved available } movement { type deltaOnHand deltaReserved } } }"
    )


def _command() -> str:
    """`inventory` as the user typed it (`.venv/bin/inventory` after the README's install)."""
    typed = sys.argv[0]
    return typed if Path(typed).name == "inventory" else "inventory"


def banner(state: DevState, database: str, broker: str) -> str:
    """What `inventory dev` prints once it is up; `database` and `broker` say where they run."""
    lines = [
        "",
        "inventory dev is up — everything runs in this process; Ctrl-C stops it.",
        "",
        "Open in a browser:",
        f"  Stock board (MAIN, live)  {state.board_url()}",
        f"  GraphiQL                  {state.graphiql_url()}",
        "",
        f"  GraphQL endpoint    {state.graphql_url}  (websocket: graphql-transport-ws)",
        f"  Kafka bootstrap     {broker}",
        f"  PostgreSQL          {database}",
        f"  Demo merchant       Demo Café {state.demo['merchantId']}",
        "  Locations           "
        + ", ".join(f"{code} {i}" for code, i in state.demo["locations"].items()),
        "",
    ]
    if state.token:
        lines += [
            "Owner token (12 hours), already in the two links above; for other clients:",
            f'  {{"Authorization": "Bearer {state.token}"}}',
            "",
            "Token only:",
            state.token,
            "",
        ]
    else:
        lines += ["IDENTITY_URL is set: get a token from that identity service.", ""]
    lines += [
        "Watch stock move (paste into GraphiQL):",
        "  " + sample_subscription(state.main_location_id),
        "",
        "Then, in another terminal, sell coffee and watch the board change:",
        f"  {_command()} simulate sales --rate 5/s --duration 60s",
        "",
    ]
    return "\n".join(lines)
