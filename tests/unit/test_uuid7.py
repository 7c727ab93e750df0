import uuid

from app.db.models.base import uuid7


def test_uuid7_is_version_7_and_rfc_variant() -> None:
    value = uuid7()

    assert value.version == 7
    assert value.variant == uuid.RFC_4122


def test_uuid7_keeps_creation_order_within_a_millisecond() -> None:
    ids = [uuid7() for _ in range(10_000)]

    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
