"""What a published batch's acknowledgements and failures mean for its outbox rows."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from app.outbox.claims import ClaimedEvent, FailedEvent
from app.outbox.publisher import Acked, Failed, Outcome


def retry_delay(attempts: int, *, base: float, cap: float, jitter: float) -> float:
    """Seconds until the retry after failure number `attempts` (1, 2, ...).

    base·2^(attempts-1), capped, then scaled by `jitter` in [0, 1) into [½, 1]
    of that, so relays that failed together do not retry together.
    """
    delay = min(cap, base * 2.0 ** min(attempts - 1, 62))
    return delay * (0.5 + jitter / 2)


def settle(
    events: Sequence[ClaimedEvent],
    outcomes: Sequence[Outcome],
    *,
    retry_base: float,
    retry_max: float,
    jitter: Callable[[], float] = random.random,
) -> tuple[list[int], list[FailedEvent]]:
    """Split a published batch into rows to mark sent and failures to record.

    A row is marked sent only when every older row of its key in the batch was
    acknowledged too: the sent rows of a key stay a prefix, so a later row that
    reached the broker after an earlier one failed is published again after it
    (a duplicate, never a gap or a reordering in what is marked). Only the first
    failed row of a key counts an attempt; the rows behind it just wait.
    """
    sent: list[int] = []
    failed: list[FailedEvent] = []
    broken_keys: set[tuple[str, str]] = set()
    for event, outcome in zip(events, outcomes, strict=True):
        key = (event.topic, event.key)
        if isinstance(outcome, Failed) and key not in broken_keys:
            broken_keys.add(key)
            delay = retry_delay(event.attempts + 1, base=retry_base, cap=retry_max, jitter=jitter())
            failed.append(FailedEvent(event.seq, _describe(outcome.error), delay))
        elif isinstance(outcome, Acked) and key not in broken_keys:
            sent.append(event.seq)
        else:
            broken_keys.add(key)
    return sent, failed


def _describe(error: BaseException) -> str:
    name, text = type(error).__name__, str(error)
    # Kafka errors already start with their class name.
    return (text if text.startswith(name) else f"{name}: {text}")[:1000]
