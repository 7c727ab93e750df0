"""Count sessions (stock-takes): start, apply, cancel. Recording is in count_entries.

A session stands for one moment, `counted_at`. Applying writes, per counted line, one
COUNT movement of counted - on hand at that moment (from the ledger), in one
transaction with every stock locked in id order, so sales and receipts after the
moment stay on top of the count. Reference COUNT_SESSION / the session's id.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Numeric, bindparam, column, func, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.models.base import utcnow, uuid7
from app.db.queries.stock_history import on_hand_of_stocks_at
from app.domain.counts import check_counted_at, count_delta, require_open, uncounted_refusal
from app.domain.enums import CountScope, CountStatus, ItemType, MovementType, ReferenceType
from app.domain.errors import DomainError, ProblemCollector, UserErrorCode
from app.domain.quantities import ZERO
from app.services.context import Actor
from app.services.idempotency import claim, remember
from app.services.stock_ledger import Move, StockKey, apply_moves, lock_stocks
from app.services.stock_refs import check_location
from app.services.text_input import collect, optional_text

NAME_MAX_LENGTH = 200
_uuid = PG_UUID(as_uuid=True)


@dataclass(frozen=True)
class CountSessionInput:
    location_id: uuid.UUID
    scope: CountScope
    name: str | None = None
    counted_at: datetime | None = None
    item_type: ItemType | None = None
    # PARTIAL: the stocks of these items (inventory items and materials).
    items: Sequence[tuple[ItemType, uuid.UUID]] | None = None


@dataclass(frozen=True)
class OpenSession:
    id: uuid.UUID
    location_id: uuid.UUID
    scope: CountScope
    counted_at: datetime
    name: str | None


async def locked_session(
    session: AsyncSession, merchant_id: uuid.UUID, session_id: uuid.UUID
) -> OpenSession:
    """The session row held FOR UPDATE (recordings and the apply of one session take
    turns), or NOT_FOUND on `id`; INVALID_STATE unless it is OPEN."""
    counts = t.count_session
    row = (
        await session.execute(
            select(counts)
            .where(counts.c.merchant_id == merchant_id, counts.c.id == session_id)
            .with_for_update()
        )
    ).one_or_none()
    if row is None:
        raise DomainError.one(UserErrorCode.NOT_FOUND, "no such count session", ("id",))
    require_open(CountStatus(row.status), ("id",))
    return OpenSession(row.id, row.location_id, CountScope(row.scope), row.counted_at, row.name)


async def start_session(
    sessions: async_sessionmaker[AsyncSession],
    actor: Actor,
    given: CountSessionInput,
    idempotency_key: str | None = None,
) -> uuid.UUID:
    """Open a session at a location. FULL takes in every non-archived stock there (of
    `item_type` when given); PARTIAL the stocks of `items` (created when missing), or
    nothing until counted. `counted_at` defaults to now and must not be in the future."""
    problems = ProblemCollector()
    now = utcnow()
    name = optional_text(given.name, ("input", "name"), problems, max_length=NAME_MAX_LENGTH)
    counted_at = given.counted_at or now
    collect(problems, check_counted_at, counted_at, now, ("input", "countedAt"))
    if given.items and given.scope is CountScope.FULL:
        problems.add(
            UserErrorCode.INVALID, "only a PARTIAL session names items", ("input", "itemIds")
        )
    request = {
        "locationId": given.location_id,
        "scope": given.scope,
        "name": name,
        "countedAt": given.counted_at,
        "itemType": given.item_type,
        "itemIds": [list(i) for i in given.items or ()],
    }
    async with sessions.begin() as session:
        if idempotency_key is not None and not problems.problems:
            stored = await claim(
                session, actor.merchant_id, idempotency_key, "countSessionStart", request
            )
            if stored is not None:
                return uuid.UUID(stored["countSessionId"])
        await check_location(session, actor.merchant_id, given.location_id, ("input",), problems)
        keys = [StockKey(given.location_id, kind, item_id) for kind, item_id in given.items or ()]
        await _check_items(session, actor.merchant_id, keys, problems)
        problems.raise_if_any()
        session_id = uuid7()
        await session.execute(
            t.count_session.insert().values(
                id=session_id,
                merchant_id=actor.merchant_id,
                location_id=given.location_id,
                name=name,
                scope=given.scope,
                item_type=given.item_type,
                status=CountStatus.OPEN,
                counted_at=counted_at,
                created_at=now,
                actor=actor.label,
            )
        )
        await _add_scope_lines(session, actor.merchant_id, session_id, given, keys)
        if idempotency_key is not None:
            await remember(
                session, actor.merchant_id, idempotency_key, {"countSessionId": session_id}
            )
    return session_id


async def known_items(
    session: AsyncSession, merchant_id: uuid.UUID, keys: Iterable[StockKey]
) -> set[tuple[ItemType, uuid.UUID]]:
    """The (item type, item id) of `keys` that are this merchant's items."""
    known: set[tuple[ItemType, uuid.UUID]] = set()
    wanted = list(keys)
    for item_type, table in ((ItemType.PRODUCT, t.inventory_item), (ItemType.MATERIAL, t.material)):
        ids = [k.item_id for k in wanted if k.item_type is item_type]
        if ids:
            rows = await session.execute(
                select(table.c.id).where(table.c.merchant_id == merchant_id, table.c.id.in_(ids))
            )
            known |= {(item_type, i) for i in rows.scalars()}
    return known


async def _check_items(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    keys: Sequence[StockKey],
    problems: ProblemCollector,
) -> None:
    known = await known_items(session, merchant_id, keys)
    for n, key in enumerate(keys):
        if (key.item_type, key.item_id) not in known:
            problems.add(UserErrorCode.NOT_FOUND, "no such item", ("input", "itemIds", n))


async def _add_scope_lines(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    session_id: uuid.UUID,
    given: CountSessionInput,
    keys: Sequence[StockKey],
) -> None:
    line, stock = t.count_line, t.stock
    if given.scope is CountScope.PARTIAL:
        if not keys:
            return
        created = await lock_stocks(session, merchant_id, keys)
        stock_ids = sorted({s.id for s in created.values()})
        scope = select(stock.c.id, stock.c.merchant_id).where(stock.c.id.in_(stock_ids))
    else:
        item, material, location = t.inventory_item, t.material, given.location_id
        scope = (
            select(stock.c.id, stock.c.merchant_id)
            .select_from(
                stock.outerjoin(item, item.c.id == stock.c.inventory_item_id).outerjoin(
                    material, material.c.id == stock.c.material_id
                )
            )
            .where(
                stock.c.merchant_id == merchant_id,
                stock.c.location_id == location,
                func.coalesce(item.c.archived, material.c.archived).is_(False),
            )
        )
        if given.item_type is not None:
            scope = scope.where(stock.c.item_type == given.item_type)
    stocks_in_scope = scope.subquery()
    await session.execute(
        line.insert().from_select(
            ["session_id", "stock_id", "merchant_id"],
            select(
                bindparam("session_id", session_id, type_=_uuid),
                stocks_in_scope.c.id,
                stocks_in_scope.c.merchant_id,
            ),
        )
    )


async def cancel_session(
    sessions: async_sessionmaker[AsyncSession], actor: Actor, session_id: uuid.UUID
) -> uuid.UUID:
    """Cancel an OPEN session: its entries stay to be read, nothing moves."""
    async with sessions.begin() as session:
        await locked_session(session, actor.merchant_id, session_id)
        await session.execute(
            update(t.count_session)
            .where(t.count_session.c.id == session_id)
            .values(status=CountStatus.CANCELLED)
        )
    return session_id


async def apply_session(
    sessions: async_sessionmaker[AsyncSession],
    actor: Actor,
    session_id: uuid.UUID,
    *,
    uncounted_as_zero: bool = False,
    idempotency_key: str | None = None,
) -> uuid.UUID:
    """Apply an OPEN session in one transaction: per counted line one COUNT movement of
    counted - on hand at countedAt. PARTIAL applies counted lines only; FULL refuses
    (INVALID_STATE naming them) while lines are uncounted, unless `uncounted_as_zero`."""
    request = {"id": session_id, "uncountedAsZero": uncounted_as_zero}
    async with sessions.begin() as session:
        if idempotency_key is not None:
            stored = await claim(
                session, actor.merchant_id, idempotency_key, "countSessionApply", request
            )
            if stored is not None:
                return uuid.UUID(stored["countSessionId"])
        counted = await locked_session(session, actor.merchant_id, session_id)
        lines = await _lines(session, session_id)
        uncounted = [line for line in lines if line.counted is None]
        if uncounted and counted.scope is CountScope.FULL and not uncounted_as_zero:
            raise uncounted_refusal([line.name for line in uncounted], len(uncounted))
        if counted.scope is CountScope.PARTIAL:
            lines = [line for line in lines if line.counted is not None]
        await _apply_lines(session, actor, counted, lines)
        await session.execute(
            update(t.count_session)
            .where(t.count_session.c.id == session_id)
            .values(status=CountStatus.APPLIED, applied_at=utcnow())
        )
        if idempotency_key is not None:
            await remember(
                session, actor.merchant_id, idempotency_key, {"countSessionId": session_id}
            )
    return session_id


@dataclass(frozen=True)
class _Line:
    stock_id: uuid.UUID
    key: StockKey
    counted: Decimal | None
    name: str


async def _lines(session: AsyncSession, session_id: uuid.UUID) -> list[_Line]:
    """The session's lines with their stocks' keys and item names, in stock id order."""
    line, stock, item, material = t.count_line, t.stock, t.inventory_item, t.material
    rows = await session.execute(
        select(
            line.c.stock_id,
            line.c.counted,
            stock.c.location_id,
            stock.c.item_type,
            func.coalesce(stock.c.inventory_item_id, stock.c.material_id).label("item_id"),
            func.coalesce(item.c.name, material.c.name).label("name"),
        )
        .select_from(
            line.join(stock, stock.c.id == line.c.stock_id)
            .outerjoin(item, item.c.id == stock.c.inventory_item_id)
            .outerjoin(material, material.c.id == stock.c.material_id)
        )
        .where(line.c.session_id == session_id)
        .order_by(line.c.stock_id)
    )
    return [
        _Line(
            row.stock_id,
            StockKey(row.location_id, ItemType(row.item_type), row.item_id),
            row.counted,
            row.name,
        )
        for row in rows
    ]


_applied = (
    func.jsonb_to_recordset(bindparam("applied", type_=JSONB))
    .table_valued(
        column("stock_id", _uuid),
        column("counted", Numeric()),
        column("expected", Numeric()),
        column("movement_id", _uuid),
    )
    .render_derived(name="applied", with_types=True)
)


async def _apply_lines(
    session: AsyncSession, actor: Actor, counted: OpenSession, lines: Sequence[_Line]
) -> None:
    if not lines:
        return
    stocks = await lock_stocks(session, actor.merchant_id, [line.key for line in lines])
    expected = await on_hand_of_stocks_at(
        session, actor.merchant_id, [line.stock_id for line in lines], counted.counted_at
    )
    reason = f"count session {counted.name}" if counted.name else "count session"
    moves = [
        Move(
            line.key,
            MovementType.COUNT,
            ReferenceType.COUNT_SESSION,
            str(counted.id),
            delta_on_hand=count_delta(
                ZERO if line.counted is None else line.counted, expected[line.stock_id]
            ),
            reason=reason,
        )
        for line in lines
    ]
    result = await apply_moves(session, actor, stocks, moves)
    movement_ids = {a.movement.stock_id: a.movement.id for a in result.applied}
    applied = [
        {
            "stock_id": str(line.stock_id),
            "counted": str(ZERO if line.counted is None else line.counted),
            "expected": str(expected[line.stock_id]),
            "movement_id": str(movement_ids[line.stock_id]),
        }
        for line in lines
    ]
    line_table = t.count_line
    await session.execute(
        update(line_table)
        .where(line_table.c.session_id == counted.id, line_table.c.stock_id == _applied.c.stock_id)
        .values(
            counted=_applied.c.counted,
            expected=_applied.c.expected,
            movement_id=_applied.c.movement_id,
        ),
        {"applied": applied},
    )
