"""The mapping of failures onto statuses and the error shape (no route reaches 422 today)."""

from __future__ import annotations

import sqlalchemy.exc

from app.db.errors import is_database_unavailable
from app.domain.errors import DomainError, Problem, UserErrorCode
from app.rest.v1.errors import from_domain_error


def test_domain_codes_map_to_the_contract_statuses() -> None:
    expected = {
        UserErrorCode.NOT_FOUND: (404, "NOT_FOUND"),
        UserErrorCode.INSUFFICIENT_STOCK: (422, "INSUFFICIENT_STOCK"),
        UserErrorCode.IDEMPOTENCY_KEY_MISMATCH: (409, "IDEMPOTENCY_KEY_MISMATCH"),
        UserErrorCode.INVALID_STATE: (409, "INVALID_STATE"),
        UserErrorCode.DUPLICATE: (409, "DUPLICATE"),
        UserErrorCode.INVALID: (400, "INVALID"),
        UserErrorCode.REQUIRED: (400, "INVALID"),
        UserErrorCode.UNIT_MISMATCH: (400, "INVALID"),
        UserErrorCode.ARCHIVED: (400, "INVALID"),
    }

    for code, (status, wire_code) in expected.items():
        error = from_domain_error(DomainError.one(code, "nope", ("input", "lines", 0, "qty")))
        assert (error.status, error.code) == (status, wire_code), code
        assert error.details[0].field == ["lines", 0, "qty"]
        assert error.details[0].code == code.value


def test_mixed_problems_answer_with_input_first_and_list_everything() -> None:
    error = from_domain_error(
        DomainError(
            [
                Problem(UserErrorCode.NOT_FOUND, "location x not found", ("initialStocks", 1)),
                Problem(UserErrorCode.INVALID, "must not be negative", ("initialStocks", 0)),
                Problem(UserErrorCode.INSUFFICIENT_STOCK, "short", None),
            ]
        ),
        renames={("initialStocks", 1): ("somewhere",)},
    )

    assert (error.status, error.code, error.message) == (400, "INVALID", "must not be negative")
    assert [d.field for d in error.details] == [["somewhere"], ["initialStocks", 0], None]


def test_the_idempotency_key_field_is_named_after_its_header() -> None:
    error = from_domain_error(
        DomainError.one(UserErrorCode.INVALID, "too long", ("idempotencyKey",))
    )

    assert error.details[0].field == ["Idempotency-Key"]


def test_lost_connections_are_unavailability_and_bad_sql_is_not() -> None:
    refused = ConnectionRefusedError(111, "refused")
    wrapped = sqlalchemy.exc.OperationalError("SELECT 1", {}, refused)
    syntax = sqlalchemy.exc.ProgrammingError("SELEC 1", {}, Exception("syntax error"))

    assert is_database_unavailable(refused)
    assert is_database_unavailable(wrapped)
    assert is_database_unavailable(sqlalchemy.exc.TimeoutError("pool exhausted"))
    assert not is_database_unavailable(syntax)
    assert not is_database_unavailable(ValueError("bug"))
