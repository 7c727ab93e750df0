"""Moving materials between two locations of one merchant.

A line's quantity may be given in any unit that converts for its material; it is
converted once to the base unit, which the stocks, movements and event carry, and
the line keeps the quantity and unit as entered.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.models.base import utcnow, uuid7
from app.db.unit_of_work import UnitOfWork
from app.domain.errors import DomainError, FieldPath, ProblemCollector, UserErrorCode
from app.domain.quantities import require_positive
from app.domain.transfers import (
    TransferLine,
    report_shortages,
    transfer_moves,
    transfer_totals,
)
from app.outbox.transfer_events import Transferred, TransferredLine, material_transferred_event
from app.outbox.writer import enqueue
from app.services import idempotency
from app.services.context import Actor
from app.services.stock_ledger import Move, StockKey, apply_moves, lock_stocks
from app.services.unit_conversion import Entered, book_from_row, convert

OPERATION = "materialTransfer"


@dataclass(frozen=True)
class ConvertedLine:
    """A line in its material's base unit, with what was entered."""

    line: TransferLine  # the quantity in the base unit
    entered: Entered


@dataclass(frozen=True)
class TransferResult:
    transfer_id: uuid.UUID


def _check_input(
    problems: ProblemCollector,
    from_location_id: uuid.UUID,
    to_location_id: uuid.UUID,
    lines: Sequence[TransferLine],
) -> None:
    if from_location_id == to_location_id:
        problems.add(
            UserErrorCode.INVALID,
            "must differ from the source location",
            ("input", "toLocationId"),
        )
    if not lines:
        problems.add(UserErrorCode.REQUIRED, "at least one line is required", ("input", "lines"))
    for i, line in enumerate(lines):
        try:
            require_positive(line.quantity, ("input", "lines", i, "quantity"))
        except DomainError as error:
            problems.problems.extend(error.problems)


async def _check_owned(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    problems: ProblemCollector,
    from_location_id: uuid.UUID,
    to_location_id: uuid.UUID,
    lines: Sequence[TransferLine],
) -> tuple[dict[uuid.UUID, str], list[ConvertedLine]]:
    """NOT_FOUND / ARCHIVED for locations and materials, UNIT_MISMATCH for units; each
    material's unit, and the lines in it (those that could be had)."""
    location, material = t.location, t.material
    archived_locations: dict[uuid.UUID, bool] = {
        row.id: row.archived
        for row in await session.execute(
            select(location.c.id, location.c.archived).where(
                location.c.merchant_id == merchant_id,
                location.c.id.in_([from_location_id, to_location_id]),
            )
        )
    }
    ends = {"fromLocationId": from_location_id, "toLocationId": to_location_id}
    for name, location_id in ends.items():
        _report(problems, archived_locations.get(location_id), "location", ("input", name))
    rows = (
        await session.execute(
            select(material.c.id, material.c.archived, material.c.unit, material.c.units).where(
                material.c.merchant_id == merchant_id,
                material.c.id.in_({line.material_id for line in lines}),
            )
        )
    ).all()
    known = {row.id: row for row in rows}
    converted: list[ConvertedLine] = []
    for i, line in enumerate(lines):
        row = known.get(line.material_id)
        field = ("input", "lines", i)
        _report(problems, None if row is None else row.archived, "material", (*field, "materialId"))
        if row is None:
            continue
        entered = convert(
            book_from_row(row.unit, row.units),
            line.quantity,
            line.unit,
            problems,
            (*field, "unit"),
            (*field, "quantity"),
        )
        if entered is not None:
            converted.append(ConvertedLine(TransferLine(line.material_id, entered.base), entered))
    return {row.id: row.unit for row in rows}, converted


def _report(problems: ProblemCollector, archived: bool | None, what: str, field: FieldPath) -> None:
    if archived is None:
        problems.add(UserErrorCode.NOT_FOUND, f"no such {what}", field)
    elif archived:
        problems.add(UserErrorCode.ARCHIVED, f"the {what} is archived", field)


async def transfer_materials(
    uow: UnitOfWork,
    actor: Actor,
    *,
    from_location_id: uuid.UUID,
    to_location_id: uuid.UUID,
    lines: Sequence[TransferLine],
    allow_negative: bool = False,
    idempotency_key: str | None = None,
) -> TransferResult:
    """Move materials from one location to another of the same merchant, atomically.

    Lines of the same material are summed before the stock check; each material then
    gets one TRANSFER_OUT at the source and one TRANSFER_IN at the destination
    (reference TRANSFER/<transfer id>). Refuses the same location twice (INVALID),
    other merchants' or unknown ids (NOT_FOUND), archived ones (ARCHIVED), quantities
    not above zero (INVALID) and, unless `allow_negative`, taking more than is
    available at the source (INSUFFICIENT_STOCK, every short line at once).
    """
    request = {
        "fromLocationId": from_location_id,
        "toLocationId": to_location_id,
        "lines": [[line.material_id, line.quantity, line.unit] for line in lines],
        "allowNegative": allow_negative,
    }
    problems = ProblemCollector()
    _check_input(problems, from_location_id, to_location_id, lines)
    async with uow.transaction() as session:
        merchant_id = actor.merchant_id
        if idempotency_key is not None:
            stored = await idempotency.claim(
                session, merchant_id, idempotency_key, OPERATION, request
            )
            if stored is not None:
                return TransferResult(uuid.UUID(stored["transferId"]))
        units, converted = await _check_owned(
            session, merchant_id, problems, from_location_id, to_location_id, lines
        )
        problems.raise_if_any()
        in_base = [c.line for c in converted]
        totals = transfer_totals(in_base)
        sources = {m: StockKey.material(from_location_id, m) for m in totals}
        targets = [StockKey.material(to_location_id, m) for m in totals]
        stocks = await lock_stocks(session, merchant_id, [*sources.values(), *targets])
        if not allow_negative:
            available = {m: stocks[k].available for m, k in sources.items()}
            report_shortages(problems, in_base, totals, available)
            problems.raise_if_any()

        transfer_id = uuid7()
        now = utcnow()
        await _record(session, actor, transfer_id, from_location_id, to_location_id, converted, now)
        moves = _with_entered(
            transfer_moves(from_location_id, to_location_id, transfer_id, totals), converted
        )
        await apply_moves(session, actor, stocks, moves)
        event = material_transferred_event(
            Transferred(
                merchant_id=merchant_id,
                transfer_id=transfer_id,
                from_location_id=from_location_id,
                to_location_id=to_location_id,
                occurred_at=now,
                transferred_by=actor.label,
                lines=[
                    TransferredLine(line.material_id, line.quantity, units[line.material_id])
                    for line in in_base
                ],
            )
        )
        await enqueue(session, merchant_id, [event], request_id=actor.request_id)
        if idempotency_key is not None:
            await idempotency.remember(
                session, merchant_id, idempotency_key, {"transferId": transfer_id}
            )
    return TransferResult(transfer_id)


async def _record(
    session: AsyncSession,
    actor: Actor,
    transfer_id: uuid.UUID,
    from_location_id: uuid.UUID,
    to_location_id: uuid.UUID,
    lines: Sequence[ConvertedLine],
    now: datetime,
) -> None:
    await session.execute(
        insert(t.transfer).values(
            id=transfer_id,
            merchant_id=actor.merchant_id,
            from_location_id=from_location_id,
            to_location_id=to_location_id,
            created_by=actor.label,
            created_at=now,
        )
    )
    await session.execute(
        insert(t.transfer_line),
        [
            {
                "id": uuid7(),
                "merchant_id": actor.merchant_id,
                "transfer_id": transfer_id,
                "position": i,
                "material_id": line.line.material_id,
                "quantity": line.line.quantity,
                **line.entered.as_columns(),
            }
            for i, line in enumerate(lines)
        ],
    )


def _with_entered(moves: list[Move], lines: Sequence[ConvertedLine]) -> list[Move]:
    """A material on one line keeps what was entered on its movements too."""
    counts = Counter(c.line.material_id for c in lines)
    entered = {c.line.material_id: c.entered for c in lines if counts[c.line.material_id] == 1}
    return [
        replace(move, entered_quantity=e.quantity, entered_unit=e.unit)
        if (e := entered.get(move.key.item_id)) is not None
        else move
        for move in moves
    ]
