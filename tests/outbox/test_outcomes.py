"""What a batch's acknowledgements mean for its rows: the per-key prefix rule and backoff."""

import uuid

from aiokafka.errors import KafkaTimeoutError

from app.outbox.claims import ClaimedEvent
from app.outbox.outcomes import retry_delay, settle
from app.outbox.publisher import ACKED, NOT_TRIED, Failed, Outcome


def _event(seq: int, key: str, attempts: int = 0) -> ClaimedEvent:
    return ClaimedEvent(seq, uuid.uuid4(), "topic.a", key, "TEST", "{}", None, attempts)


def test_rows_behind_a_failed_row_of_their_key_are_not_marked_sent() -> None:
    events = [_event(1, "A"), _event(2, "A"), _event(3, "B"), _event(4, "A"), _event(5, "C")]
    outcomes: list[Outcome] = [
        ACKED,
        Failed(KafkaTimeoutError("slow")),
        ACKED,
        ACKED,  # reached the broker after A's row 2 failed: it must be sent again later
        NOT_TRIED,
    ]

    sent, failed = settle(events, outcomes, retry_base=1.0, retry_max=60.0, jitter=lambda: 0.0)

    assert sent == [1, 3]
    assert [(f.seq, f.error, f.retry_in_seconds) for f in failed] == [
        (2, "KafkaTimeoutError: slow", 0.5)
    ]


def test_a_row_that_failed_before_waits_longer() -> None:
    events = [_event(7, "A", attempts=3)]

    _, [failure] = settle(
        events, [Failed(OSError("down"))], retry_base=1.0, retry_max=60.0, jitter=lambda: 1.0
    )

    assert failure.retry_in_seconds == 8.0


def test_retry_delays_grow_exponentially_with_jitter_up_to_the_cap() -> None:
    def delay(n: int, jitter: float) -> float:
        return retry_delay(n, base=0.5, cap=60, jitter=jitter)

    assert [delay(n, 0.0) for n in (1, 2, 3, 4)] == [0.25, 0.5, 1.0, 2.0]
    assert [delay(n, 0.999999) for n in (1, 2)] == [
        0.5 * (0.5 + 0.999999 / 2),
        1.0 * (0.5 + 0.999999 / 2),
    ]
    assert delay(50, 0.0) == 30.0
    assert delay(10_000, 1.0) == 60.0
