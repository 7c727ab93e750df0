"""Who is asking: the merchant every read and write is scoped to, and the actor recorded."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    merchant_id: uuid.UUID
    # Recorded on ledger rows: a user or service id, or e.g. "consumer:payment.success".
    label: str | None = None
    request_id: str | None = None
