"""What a transfer of materials between two locations moves, and when it is refused."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from app.domain.enums import MovementType, ReferenceType
from app.domain.errors import ProblemCollector, UserErrorCode
from app.domain.moves import Move, StockKey
from app.domain.quantities import decimal_str


@dataclass(frozen=True)
class TransferLine:
    material_id: uuid.UUID
    quantity: Decimal
    unit: str | None = None  # of `quantity`; None: the material's base unit


def transfer_totals(lines: Sequence[TransferLine]) -> dict[uuid.UUID, Decimal]:
    """Lines of the same material summed, before any stock check (first-seen order)."""
    totals: dict[uuid.UUID, Decimal] = {}
    for line in lines:
        totals[line.material_id] = totals.get(line.material_id, Decimal(0)) + line.quantity
    return totals


def report_shortages(
    problems: ProblemCollector,
    lines: Sequence[TransferLine],
    totals: Mapping[uuid.UUID, Decimal],
    available: Mapping[uuid.UUID, Decimal],
) -> None:
    """A material whose summed quantity exceeds what is available at the source is short.

    Available (on hand minus reserved), not on hand: reserved material is promised to
    sales at the source and must not leave with a transfer. Every line of a short
    material is named, so the caller sees all of them at once.
    """
    for i, line in enumerate(lines):
        wanted, left = totals[line.material_id], available[line.material_id]
        if wanted > left:
            problems.add(
                UserErrorCode.INSUFFICIENT_STOCK,
                f"{decimal_str(wanted)} requested in total, "
                f"{decimal_str(left)} available at the source",
                ("input", "lines", i, "quantity"),
            )


def transfer_moves(
    from_location_id: uuid.UUID,
    to_location_id: uuid.UUID,
    transfer_id: uuid.UUID,
    totals: Mapping[uuid.UUID, Decimal],
) -> list[Move]:
    """Per material, one TRANSFER_OUT at the source and one TRANSFER_IN at the destination
    of its total (reference TRANSFER/<transfer id>)."""
    reference = str(transfer_id)
    return [
        move
        for material_id, quantity in totals.items()
        for move in (
            Move(
                StockKey.material(from_location_id, material_id),
                MovementType.TRANSFER_OUT,
                ReferenceType.TRANSFER,
                reference,
                delta_on_hand=-quantity,
            ),
            Move(
                StockKey.material(to_location_id, material_id),
                MovementType.TRANSFER_IN,
                ReferenceType.TRANSFER,
                reference,
                delta_on_hand=quantity,
            ),
        )
    ]
