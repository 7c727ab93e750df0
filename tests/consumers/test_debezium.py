"""Debezium envelopes: both wrappers, every op, tombstones, timestamps, source positions."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest

from consumers.debezium import Op, decode_change, decode_key
from consumers.decoding import as_timestamp
from consumers.messages import PoisonMessage, PoisonReason
from tests.consumers.examples import example


def test_the_envelope_with_and_without_the_schema_wrapper_decodes_the_same() -> None:
    plain = decode_change(example("cdc-product-variant-create").value)
    wrapped = decode_change(example("cdc-product-variant-create-with-schema").value)

    assert plain == wrapped
    assert plain is not None
    assert (plain.op, plain.source_lsn, plain.before) == (Op.CREATE, 24023128, None)
    assert plain.row["name"] == "Iced Latte (L)"
    assert decode_key(example("cdc-product-variant-create-with-schema").key) == {
        "id": "0b9e4c3a-7d21-4f6e-8a13-5c7d9e2f4b11"
    }


@pytest.mark.parametrize(
    ("name", "op", "lsn", "name_in_row"),
    [
        ("cdc-product-variant-snapshot-read", Op.READ, 24000000, "Iced Latte (L)"),
        ("cdc-product-variant-update", Op.UPDATE, 24029912, "Iced Latte (Large)"),
        ("cdc-product-variant-delete", Op.DELETE, 24031200, "Iced Latte (Large)"),
    ],
)
def test_read_update_and_delete_give_the_row_as_it_is_or_was(
    name: str, op: Op, lsn: int, name_in_row: str
) -> None:
    change = decode_change(example(name).value)

    assert change is not None
    assert (change.op, change.source_lsn, change.row["name"]) == (op, lsn, name_in_row)
    assert change.is_delete is (op is Op.DELETE)


def test_tombstones_are_skipped_with_or_without_the_wrapper() -> None:
    assert decode_change(example("cdc-product-variant-tombstone").value) is None
    assert decode_change(b'{"schema": null, "payload": null}') is None


@pytest.mark.parametrize("op", ["t", "m"])
def test_truncate_and_message_events_are_logged_and_skipped(
    op: str, caplog: pytest.LogCaptureFixture
) -> None:
    value = json.dumps({"op": op, "before": None, "after": None, "source": {"lsn": 1}}).encode()

    with caplog.at_level(logging.INFO, logger="consumers.debezium"):
        assert decode_change(value) is None

    assert [r.getMessage() for r in caplog.records] == [
        f"skipping a Debezium {Op(op).name.lower()} event"
    ]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b'{"op": "x", "after": {}}', PoisonReason.UNSUPPORTED),
        (b"{not json", PoisonReason.INVALID_JSON),
        (b"[1, 2]", PoisonReason.SCHEMA_VIOLATION),
        (b'{"op": "c", "after": "row"}', PoisonReason.SCHEMA_VIOLATION),
    ],
)
def test_what_is_no_change_event_is_poison(value: bytes, reason: PoisonReason) -> None:
    with pytest.raises(PoisonMessage) as caught:
        decode_change(value)

    assert caught.value.reason is reason


def test_a_change_without_its_row_or_with_a_bad_position_is_poison() -> None:
    change = decode_change(b'{"op": "u", "before": null, "after": null, "source": {"lsn": "x"}}')

    assert change is not None
    with pytest.raises(PoisonMessage, match="after: is required"):
        _ = change.row
    with pytest.raises(PoisonMessage, match=r"source\.lsn"):
        _ = change.source_lsn


@pytest.mark.parametrize(
    "value",
    [
        "2025-11-20T01:33:20Z",
        "2025-11-20T01:33:20+00:00",
        "2025-11-20T08:33:20+07:00",
        1763602400000000,  # io.debezium.time.MicroTimestamp
        1763602400000,  # ts_ms, io.debezium.time.Timestamp
        "1763602400000",
        1763602400,
        1763602400000000000,  # nanoseconds
    ],
)
def test_timestamps_are_iso_strings_or_epoch_numbers_in_any_unit(value: object) -> None:
    assert as_timestamp(value, "created_at") == datetime(2025, 11, 20, 1, 33, 20, tzinfo=UTC)


def test_a_naive_iso_timestamp_is_utc_and_garbage_is_poison() -> None:
    assert as_timestamp("2025-11-20T01:33:20", "t").tzinfo is UTC
    with pytest.raises(PoisonMessage, match="t: 'yesterday' is not an ISO 8601 timestamp"):
        as_timestamp("yesterday", "t")
