"""The command line: every option explained, errors as one line naming the problem, and
the simulator's events shaped as the contract says."""

from __future__ import annotations

import argparse
import random
import socket
import subprocess
import uuid
from collections import defaultdict
from pathlib import Path

import pytest

from app.cli.main import build_parser
from app.cli.sales_scenario import SalesScenario
from app.cli.simulate import parse_duration, parse_rate
from app.dev_catalog import PRODUCTS
from app.kafka import topics
from consumers.validation import contract_validator
from tests.ops.dev_process import dev_env, inventory

COMMANDS = {"serve", "migrate", "token", "consume", "relay", "dev", "simulate"}


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[name] = sub
                found.update({f"{name} {n}": p for n, p in _subparsers(sub).items()})
    return found


def test_every_command_explains_each_of_its_options() -> None:
    commands = _subparsers(build_parser())

    assert set(commands) >= COMMANDS | {"simulate sales"}
    for name, parser in commands.items():
        assert parser.description, name
        for action in parser._actions:
            if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                assert action.help, f"inventory {name} {action.option_strings}"


def test_help_prints_without_starting_anything() -> None:
    shown = subprocess.run(
        inventory("simulate", "sales", "--help"), capture_output=True, timeout=60
    )

    assert shown.returncode == 0
    assert b"--rate" in shown.stdout
    assert b"--duration" in shown.stdout


@pytest.mark.parametrize("command", ["dev", "serve"])
def test_a_busy_port_is_one_line_and_exit_2_before_any_startup_work(
    tmp_path: Path, command: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        refused = subprocess.run(
            inventory(command, "--port", str(port)),
            env=dev_env(tmp_path),
            capture_output=True,
            timeout=60,
        )

    assert refused.returncode == 2
    [line] = refused.stderr.decode().splitlines()
    assert line.startswith(f"inventory {command}: cannot listen on 127.0.0.1:{port}")
    # No embedded PostgreSQL was started, no key pair made.
    assert list(tmp_path.iterdir()) == []


def test_token_in_production_names_the_identity_settings(tmp_path: Path) -> None:
    refused = subprocess.run(
        inventory("token", "--merchant", str(uuid.uuid4())),
        env=dev_env(tmp_path, ENVIRONMENT="production"),
        capture_output=True,
        timeout=60,
    )

    assert refused.returncode == 2
    [line] = refused.stderr.decode().splitlines()
    assert "ENVIRONMENT=production" in line
    assert "IDENTITY_URL" in line
    assert "DATABASE_URL" not in line


@pytest.mark.parametrize(
    ("url", "names"),
    [
        ("postgresql://postgres@127.0.0.1:1/inventory", "127.0.0.1:1/inventory (DATABASE_URL)"),
        ("mysql://db/inventory", "DATABASE_URL: must be a postgresql:// URL"),
    ],
)
def test_check_ledger_names_a_wrong_database_url(tmp_path: Path, url: str, names: str) -> None:
    refused = subprocess.run(
        inventory("check-ledger"),
        env=dev_env(tmp_path, DATABASE_URL=url),
        capture_output=True,
        timeout=60,
    )

    assert refused.returncode == 2
    [line] = refused.stderr.decode().splitlines()
    assert names in line
    assert "Traceback" not in line


def test_dev_refuses_production(tmp_path: Path) -> None:
    env = dev_env(
        tmp_path,
        ENVIRONMENT="production",
        DATABASE_URL="postgresql://inventory@db.invalid/inventory",
        KAFKA_BOOTSTRAP_SERVERS="kafka.invalid:9092",
        IDENTITY_URL="https://identity.invalid",
        BROADCAST_URL="redis://redis.invalid:6379/0",
    )

    refused = subprocess.run(inventory("dev"), env=env, capture_output=True, timeout=60)

    assert refused.returncode == 2
    assert refused.stderr.decode().splitlines() == [
        "inventory: ENVIRONMENT=production: `inventory dev` is for development only"
    ]


@pytest.mark.parametrize(
    ("text", "per_second"), [("5/s", 5.0), ("300/m", 5.0), ("7200/h", 2.0), ("2.5", 2.5)]
)
def test_rates_read_as_sales_per_second(text: str, per_second: float) -> None:
    assert parse_rate(text) == per_second


@pytest.mark.parametrize(("text", "seconds"), [("60s", 60.0), ("2m", 120.0), ("90", 90.0)])
def test_durations_read_as_seconds(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["0/s", "-1/s", "5/d", "fast", ""])
def test_nonsense_rates_are_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_rate(text)


def test_simulated_events_follow_the_contract_and_the_kitchen_flow() -> None:
    locations = [uuid.uuid4(), uuid.uuid4()]
    scenario = SalesScenario(locations, rng=random.Random(3))
    payments = [scenario.sale(n * 0.2) for n in range(300)]
    kitchen = scenario.due(float("inf"))
    validator = contract_validator()

    for event in [*payments, *kitchen]:
        validator.validate(event.topic, event.value)
        assert event.key == event.value["saleOrderId"]
    sizes = {len(p.value["items"]) for p in payments}
    with_modifiers = [p for p in payments if any("modifiers" in i for i in p.value["items"])]
    kitchen_made = {str(p.variant_id) for p in PRODUCTS if p.made_in_kitchen}
    flows: dict[str, list[str]] = defaultdict(list)
    for event in kitchen:
        assert event.topic == topics.KITCHEN_TICKET_ITEM_STATUS_CHANGED
        assert event.value["productVariantId"] in kitchen_made
        flow = flows[event.value["kitchenTicketItemId"]]
        assert event.value["previousStatus"] == (flow[-1] if flow else None)
        flow.append(event.value["status"])
    shapes = {tuple(flow) for flow in flows.values()}

    assert sizes == {1, 2, 3}
    assert 0 < len(with_modifiers) < len(payments)
    assert {p.value["locationId"] for p in payments} == {str(i) for i in locations}
    assert shapes == {
        ("PENDING", "PREPARING", "READY", "SERVED"),
        ("PENDING", "CANCELLED"),
        ("PENDING", "PREPARING", "CANCELLED"),
    }
    assert [e.due for e in kitchen] == sorted(e.due for e in kitchen)
