"""Reliability suite fixtures: real processes of the service on the test database.

Every test here carries the `reliability` marker (added below, by location), so
`pytest -m reliability` runs this suite and `pytest -m "not reliability"` leaves it
out. Tests start `inventory serve / consume / relay` as subprocesses with tokens
signed by the development identity key in a data directory of this session.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.auth.dev import DevSigningKey, load_or_create_signing_key
from app.embedded import EmbeddedBroker
from app.settings import Settings
from tests.fakes.identity_server import FakeIdentityServer, FakeIdentityState
from tests.reliability.processes import Processes, ServiceProcess, processes
from tests.reliability.results import RESULTS_DIR, Report

HERE = Path(__file__).resolve().parent
MakeToken = Callable[..., str]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.reliability)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    setattr(item, f"reliability_{report.when}", report)
    return report


@pytest.fixture(scope="session", autouse=True)
def _quiet_broker_log_handle() -> Iterator[None]:
    """EmbeddedBroker.start leaks its log file handle (a ResourceWarning, an error here);
    the same workaround as tests/outbox/conftest.py until app/embedded.py closes it."""
    original = EmbeddedBroker.start

    def start(self: EmbeddedBroker, log_path: Path | None = None) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            return original(self, log_path)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(EmbeddedBroker, "start", start)
        yield


@pytest.fixture(scope="session", autouse=True)
def _run_record() -> Iterator[None]:
    """The machine and the time of this run, for RELIABILITY.md (earlier results go)."""
    for stale in RESULTS_DIR.glob("*.json"):
        stale.unlink()
    started = time.monotonic()
    run: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "load_average_before": [round(x, 1) for x in os.getloadavg()],
        "commit": os.environ.get("RELIABILITY_COMMIT") or _commit(),
    }
    yield
    run["seconds"] = round(time.monotonic() - started, 1)
    run["load_average_after"] = [round(x, 1) for x in os.getloadavg()]
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "run.json").write_text(json.dumps(run, indent=2) + "\n")


def _commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True
        )
    except OSError:
        return "unknown"
    return done.stdout.strip() or "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Iterator[Report]:
    """The test's measured figures, written with its outcome at teardown."""
    measured = Report(scenario=request.node.name)
    started = time.monotonic()
    yield measured
    call = getattr(request.node, "reliability_call", None)
    setup = getattr(request.node, "reliability_setup", None)
    if call is None:
        outcome = "error" if setup is not None and setup.failed else "not run"
    elif hasattr(call, "wasxfail"):
        outcome = "xfail (known bug)"
        measured.details.setdefault("cause", call.wasxfail)
    else:
        outcome = call.outcome
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and callspec.id not in measured.scenario:
        measured.scenario += f" ({callspec.id})"  # one row per case of a parametrized test
    measured.write(request.node.nodeid, outcome, round(time.monotonic() - started, 1))


@pytest.fixture(scope="session")
def reliability_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DATA_DIR of the served processes: the development identity's key lives here."""
    return tmp_path_factory.mktemp("reliability-data")


@pytest.fixture(scope="session")
def signing_key(reliability_data_dir: Path) -> DevSigningKey:
    return load_or_create_signing_key(reliability_data_dir)


@pytest.fixture(scope="session")
def make_token(signing_key: DevSigningKey) -> MakeToken:
    """A development-identity token for (merchant, role, subject)."""

    def make(
        merchant_id: uuid.UUID | None,
        role: str | None = "owner",
        *,
        subject: str = "reliability",
        service: bool = False,
        ttl: timedelta = timedelta(hours=1),
    ) -> str:
        defaults = Settings()
        return signing_key.issue_token(
            issuer=defaults.identity_issuer,
            audience=defaults.identity_audience,
            subject=subject,
            merchant_id=merchant_id,
            role=role,
            service=service,
            ttl=ttl,
        )

    return make


def _service_env(database_url: str, data_dir: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data_dir),
        "MIGRATE_ON_START": "false",
        "KAFKA_ENABLE_IDEMPOTENCE": "false",
        "LOG_LEVEL": "INFO",
    }


@pytest.fixture
def stack(database_url: str, reliability_data_dir: Path, tmp_path: Path) -> Iterator[Processes]:
    """Service processes on the test database (killed at the end whatever happened)."""
    env = _service_env(database_url, reliability_data_dir)
    with processes(tmp_path / "logs", **env) as running:
        yield running


@pytest.fixture(scope="session")
def served_app(
    database_url: str, reliability_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    """One `inventory serve` (development identity, no broker) for tests that only call
    its API; they use callers (subjects) of their own, so query budgets do not mix."""
    env = _service_env(database_url, reliability_data_dir)
    with processes(tmp_path_factory.mktemp("served-app"), **env) as running:
        yield running.serve()


@pytest.fixture
async def own_broker(tmp_path: Path) -> AsyncIterator[EmbeddedBroker]:
    """A broker of the test's own, so the contract's topic names are free to use."""
    broker = EmbeddedBroker()
    broker.start(log_path=tmp_path / "tansu.log")
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def identity_server() -> Iterator[FakeIdentityServer]:
    """The fake identity service (JWKS, policy checks, a `failing` switch) on 127.0.0.1."""
    server = FakeIdentityServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_identity(identity_server: FakeIdentityServer) -> FakeIdentityState:
    return identity_server.reset()
