"""The verified caller of a request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Principal:
    """Who called, for which merchant, with which role, until when.

    `merchant_id` is None only for service tokens, which name the merchant per request.
    """

    subject: str
    merchant_id: uuid.UUID | None
    role: str | None
    is_service: bool
    expires_at: datetime

    @property
    def actor(self) -> str:
        """The label recorded as the actor on ledger rows: `user:<sub>` or `service:<sub>`."""
        return f"{'service' if self.is_service else 'user'}:{self.subject}"
