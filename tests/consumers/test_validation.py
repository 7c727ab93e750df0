"""Payloads against the contract's JSON Schemas: field-additive, strict on what it names."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from consumers.messages import PoisonMessage, PoisonReason
from consumers.validation import ContractValidator, contract_validator, contracts_events_dir
from tests.consumers.examples import example


def test_the_example_events_are_valid_and_unknown_fields_are_accepted() -> None:
    payment = copy.deepcopy(example("payment-success").document["value"])
    payment["tipAmount"] = "5000"
    payment["items"][0]["note"] = "less ice"
    kitchen = example("kitchen-ticket-item-served").document["value"]

    contract_validator().validate("payment.success", payment)
    contract_validator().validate("kitchen-ticket-item.status-changed", kitchen)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda p: p.pop("items"), "$: 'items' is a required property"),
        (lambda p: p.update(items=[]), "$.items: [] should be non-empty"),
        (lambda p: p["items"][0].update(quantity="-2"), "$.items[0].quantity: '-2' does not match"),
        (lambda p: p.update(merchantId="not-a-uuid"), "$.merchantId: 'not-a-uuid' is not a 'uuid'"),
        (lambda p: p.update(eventType="PAYMENT_FAILED"), "$.eventType: 'PAYMENT_SUCCESS' was"),
    ],
)
def test_a_payment_that_breaks_the_schema_is_a_schema_violation(
    change: object, problem: str
) -> None:
    payment = copy.deepcopy(example("payment-success").document["value"])
    change(payment)  # type: ignore[operator]

    with pytest.raises(PoisonMessage) as caught:
        contract_validator().validate("payment.success", payment)

    assert caught.value.reason is PoisonReason.SCHEMA_VIOLATION
    assert caught.value.detail.startswith(problem)


def test_an_unknown_kitchen_status_is_a_schema_violation() -> None:
    event = dict(example("kitchen-ticket-item-served").document["value"], status="BURNT")

    with pytest.raises(PoisonMessage, match=r"\$.status: 'BURNT' is not one of"):
        contract_validator().validate("kitchen-ticket-item.status-changed", event)


def test_the_schemas_are_found_from_any_working_directory(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CONTRACTS_EVENTS_DIR"}
    script = "from consumers.validation import contract_validator as c; print(c().events)"

    out = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, check=True
    )

    assert "payment.success" in out.stdout.decode()
    assert contracts_events_dir().is_dir()


def test_a_missing_contracts_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="no contract schemas in"):
        ContractValidator(tmp_path / "nowhere")


_ID = "6f1c2a9e-0b7d-4c1e-9a51-3d2f8e7b1a01"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        *(
            ("merchantId", v)
            for v in [_ID.upper(), "{" + _ID + "}", "urn:uuid:" + _ID, _ID.replace("-", "")]
        ),
        *(("merchantId", v) for v in [_ID + "\n", " " + _ID, _ID[:-1] + "\u0661"]),
        *(("quantity", v) for v in ["1.5", ".5", "5.", "5\n", "\u0661", "1e3", "01", "", 5]),
        *(("occurredAt", v) for v in ["yesterday", "2026-11-22", "2026-11-22 12:30:05", 17]),
    ],
)
def test_the_fast_check_never_accepts_what_jsonschema_refuses(field: str, value: object) -> None:
    payment = copy.deepcopy(example("payment-success").document["value"])
    if field == "quantity":
        payment["items"][0]["quantity"] = value
    else:
        payment[field] = value
    schema = json.loads((contracts_events_dir() / "payment.success.schema.json").read_text())
    reference = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)

    try:
        contract_validator().validate("payment.success", payment)
        accepted = True
    except PoisonMessage:
        accepted = False

    assert accepted == reference.is_valid(payment)
    assert contract_validator().accelerated  # jsonschema-rs is installed with the project
