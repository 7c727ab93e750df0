"""Payload validation against the contract's JSON Schemas (contracts/events).

The contract is field-additive: the schemas allow unknown properties, and so do we.
`jsonschema` decides; when `jsonschema-rs` is installed it accepts valid payloads
first, a few hundred times faster. It checks formats at least as strictly (it also
checks date-time, which `jsonschema` skips without an extra package), so what it
accepts `jsonschema` accepts too, and anything else still goes through `jsonschema`,
which gives the same verdict and messages as without it.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from consumers.messages import PoisonMessage, PoisonReason

# The repository root (the package is installed editable, so __file__ stays in the tree).
_REPOSITORY = Path(__file__).resolve().parent.parent
MAX_REPORTED_ERRORS = 3


class ContractsNotFound(RuntimeError):
    """The contract schemas are not where this checkout keeps them."""


def contracts_events_dir() -> Path:
    """CONTRACTS_EVENTS_DIR when set, else contracts/events of this repository."""
    configured = os.environ.get("CONTRACTS_EVENTS_DIR")
    return Path(configured) if configured else _REPOSITORY / "contracts" / "events"


class ContractValidator:
    """Validators for every `<event>.schema.json` in one directory, loaded once."""

    def __init__(self, events_dir: Path) -> None:
        if not events_dir.is_dir():
            raise ContractsNotFound(f"no contract schemas in {events_dir}")
        self._validators: dict[str, Draft202012Validator] = {}
        self._accepts: dict[str, Callable[[Any], bool]] = {}
        for path in sorted(events_dir.glob("*.schema.json")):
            schema = json.loads(path.read_text(encoding="utf-8"))
            Draft202012Validator.check_schema(schema)
            name = path.name.removesuffix(".schema.json")
            self._validators[name] = Draft202012Validator(
                schema, format_checker=Draft202012Validator.FORMAT_CHECKER
            )
            accepts = _fast_acceptance(schema)
            if accepts is not None:
                self._accepts[name] = accepts

    @property
    def events(self) -> list[str]:
        return sorted(self._validators)

    @property
    def accelerated(self) -> bool:
        """jsonschema-rs accepts valid payloads first (it is installed)."""
        return bool(self._accepts)

    def validate(self, event: str, payload: Any) -> None:
        """Raise a schema-violation PoisonMessage naming the first few problems."""
        validator = self._validators.get(event)
        if validator is None:
            raise ContractsNotFound(f"no contract schema for {event}")
        accepts = self._accepts.get(event)
        if accepts is not None and accepts(payload):
            return
        errors = sorted(validator.iter_errors(payload), key=lambda e: _path(e.absolute_path))
        if errors:
            problems = [
                f"{_path(e.absolute_path)}: {e.message}" for e in errors[:MAX_REPORTED_ERRORS]
            ]
            more = len(errors) - MAX_REPORTED_ERRORS
            if more > 0:
                problems.append(f"and {more} more")
            raise PoisonMessage(PoisonReason.SCHEMA_VIOLATION, "; ".join(problems))


def _fast_acceptance(schema: dict[str, Any]) -> Callable[[Any], bool] | None:
    """jsonschema-rs's `is_valid` for the schema, or None when it is not installed."""
    try:
        import jsonschema_rs
    except ImportError:
        return None
    accepts: Callable[[Any], bool] = jsonschema_rs.validator_for(
        schema, validate_formats=True
    ).is_valid
    return accepts


def _path(parts: Any) -> str:
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)
    return "$" + text


@functools.cache
def contract_validator() -> ContractValidator:
    """The process's validator, loaded on first use (never at import)."""
    return ContractValidator(contracts_events_dir())
