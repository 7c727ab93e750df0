"""Customer returns: tracked products back in stock, one RETURN movement per line.

Reference SALE_ORDER / the sale order's id, every time. A later return of the same
product on the same order is the ledger row's `occurrence` 2, 3, … (part of the ledger's
unique key), so each return is a row of its own under that id. Two returns racing for
what is left wait for each other on the stock's lock, and the second reads what the
first wrote: one wins, the other is refused naming the line.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.domain.enums import MovementType, ReferenceType
from app.domain.errors import DomainError, ProblemCollector, UserErrorCode
from app.domain.quantities import ZERO, require_positive
from app.domain.returns import check_return
from app.services.context import Actor
from app.services.idempotency import claim, remember
from app.services.stock_ledger import Move, StockKey, apply_moves, lock_stocks
from app.services.stock_refs import check_location
from app.services.text_input import collect, optional_text

REASON_MAX_LENGTH = 500


@dataclass(frozen=True)
class SaleReturnLine:
    product_variant_id: uuid.UUID
    quantity: Decimal


@dataclass(frozen=True)
class _Product:
    inventory_item_id: uuid.UUID
    tracked: bool


async def record_sale_return(
    sessions: async_sessionmaker[AsyncSession],
    actor: Actor,
    *,
    location_id: uuid.UUID,
    sale_order_id: uuid.UUID,
    lines: Sequence[SaleReturnLine],
    reason: str | None = None,
    idempotency_key: str | None = None,
) -> list[uuid.UUID]:
    """Put the returned products back in stock at the location (onHand up). A product
    that is not tracked, or more than the order sold of it at the location less what was
    already returned, is INVALID naming the line. Returns the RETURN movements' ids."""
    problems = ProblemCollector()
    clean_reason = optional_text(
        reason, ("input", "reason"), problems, max_length=REASON_MAX_LENGTH
    )
    if not lines:
        problems.add(UserErrorCode.REQUIRED, "at least one line", ("input", "lines"))
    for i, line in enumerate(lines):
        collect(problems, require_positive, line.quantity, ("input", "lines", i, "quantity"))
    request = {
        "locationId": location_id,
        "saleOrderId": sale_order_id,
        "lines": [
            {"productVariantId": li.product_variant_id, "quantity": li.quantity} for li in lines
        ],
        "reason": clean_reason,
    }
    async with sessions.begin() as session:
        if idempotency_key is not None and not problems.problems:
            stored = await claim(
                session, actor.merchant_id, idempotency_key, "saleReturnRecord", request
            )
            if stored is not None:
                return [uuid.UUID(m) for m in stored["movementIds"]]
        await check_location(session, actor.merchant_id, location_id, ("input",), problems)
        products = await _products(
            session, actor.merchant_id, {li.product_variant_id for li in lines}
        )
        problems.raise_if_any()
        keys: dict[int, StockKey] = {}
        for i, line in enumerate(lines):
            product = products.get(line.product_variant_id)
            if product is None:
                problems.add(
                    UserErrorCode.INVALID,
                    "no inventory item for this product variant",
                    ("input", "lines", i, "productVariantId"),
                )
            elif not product.tracked:
                collect(
                    problems,
                    check_return,
                    line.quantity,
                    tracked=False,
                    sold=ZERO,
                    returned=ZERO,
                    field=("input", "lines", i, "productVariantId"),
                )
            else:
                keys[i] = StockKey.product(location_id, product.inventory_item_id)
        stocks = await lock_stocks(session, actor.merchant_id, set(keys.values()))
        history = await _sold_and_returned(
            session, actor.merchant_id, sale_order_id, [stocks[k].id for k in keys.values()]
        )
        asked: dict[uuid.UUID, Decimal] = {}
        for i, key in keys.items():
            stock_id = stocks[key].id
            sold, returned, _ = history.get(stock_id, (ZERO, ZERO, 0))
            # Two lines of one product on one return share what is left.
            asked[stock_id] = asked.get(stock_id, ZERO) + lines[i].quantity
            collect(
                problems,
                check_return,
                asked[stock_id],
                tracked=True,
                sold=sold,
                returned=returned,
                field=("input", "lines", i, "quantity"),
            )
        problems.raise_if_any()
        moves = []
        for stock_id, quantity in asked.items():
            key = next(k for k in keys.values() if stocks[k].id == stock_id)
            earlier = history.get(stock_id, (ZERO, ZERO, 0))[2]
            moves.append(
                Move(
                    key,
                    MovementType.RETURN,
                    ReferenceType.SALE_ORDER,
                    str(sale_order_id),
                    delta_on_hand=quantity,
                    reason=clean_reason,
                    occurrence=earlier + 1,
                )
            )
        result = await apply_moves(session, actor, stocks, moves)
        if result.duplicates:
            raise DomainError.one(
                UserErrorCode.INVALID_STATE, "a return of this order was recorded meanwhile"
            )
        movement_ids = [a.movement.id for a in result.applied]
        if idempotency_key is not None:
            await remember(
                session, actor.merchant_id, idempotency_key, {"movementIds": movement_ids}
            )
    return movement_ids


async def _products(
    session: AsyncSession, merchant_id: uuid.UUID, variant_ids: set[uuid.UUID]
) -> dict[uuid.UUID, _Product]:
    item = t.inventory_item
    rows = await session.execute(
        select(item.c.id, item.c.product_variant_id, item.c.track_inventory).where(
            item.c.merchant_id == merchant_id, item.c.product_variant_id.in_(variant_ids)
        )
    )
    return {row.product_variant_id: _Product(row.id, row.track_inventory) for row in rows}


async def _sold_and_returned(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    sale_order_id: uuid.UUID,
    stock_ids: list[uuid.UUID],
) -> dict[uuid.UUID, tuple[Decimal, Decimal, int]]:
    """Per stock: sold on the order, returned so far, and the last return's occurrence."""
    ledger = t.stock_movement
    order = str(sale_order_id)
    is_sale = ledger.c.type == MovementType.SALE
    is_return = ledger.c.type == MovementType.RETURN
    rows = await session.execute(
        select(
            ledger.c.stock_id,
            func.coalesce(func.sum(-ledger.c.delta_on_hand).filter(is_sale), 0),
            func.coalesce(func.sum(ledger.c.delta_on_hand).filter(is_return), 0),
            func.coalesce(func.max(ledger.c.occurrence).filter(is_return), 0),
        )
        .where(
            ledger.c.merchant_id == merchant_id,
            ledger.c.reference_type == ReferenceType.SALE_ORDER,
            ledger.c.reference_id == order,
            ledger.c.stock_id.in_(stock_ids),
            ledger.c.type.in_([MovementType.SALE, MovementType.RETURN]),
        )
        .group_by(ledger.c.stock_id)
    )
    return {row[0]: (row[1], row[2], row[3]) for row in rows}
