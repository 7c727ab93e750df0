"""Par levels and reorder points: what a stock's shelf should hold after a delivery, and
the level at which to order. Read by reorder suggestions (app/domain/reorder.py)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import update

from app.db import tables as t
from app.db.models.base import utcnow
from app.db.unit_of_work import UnitOfWork
from app.domain.errors import ProblemCollector
from app.domain.quantities import require_not_negative
from app.services.context import Actor
from app.services.stock_adjustments import StockChangeResult, as_written
from app.services.stock_ledger import lock_stocks
from app.services.stock_refs import StockRef, collect_stock_ref
from app.services.text_input import collect
from app.services.unit_conversion import convert, item_book

STOCK_FIELD = ("input", "stock")
UNIT_FIELD = ("input", "unit")


async def set_stock_par(
    uow: UnitOfWork,
    actor: Actor,
    *,
    ref: StockRef,
    par_level: Decimal | None,
    reorder_point: Decimal | None,
    unit: str | None = None,
) -> StockChangeResult:
    """Set a stock's par level and reorder point (each ≥ 0, in `unit`, converted once to
    the base unit; None clears it); creates the stock row if missing.

    No movement and no version change: quantities did not change. A reorder point with
    no par level is kept but suggests nothing by PAR (the rule needs a par level).
    """
    problems = ProblemCollector()
    given = {"parLevel": par_level, "reorderPoint": reorder_point}
    for name, quantity in given.items():
        if quantity is not None:
            collect(problems, require_not_negative, quantity, ("input", name))
    async with uow.transaction() as session:
        merchant_id = actor.merchant_id
        key = await collect_stock_ref(session, merchant_id, ref, STOCK_FIELD, problems)
        base: dict[str, Decimal | None] = dict.fromkeys(given)
        book = (
            None
            if key is None
            else await item_book(session, merchant_id, key.item_type, key.item_id)
        )
        if book is not None:
            for name, quantity in given.items():
                if quantity is not None:
                    entered = convert(book, quantity, unit, problems, UNIT_FIELD)
                    base[name] = None if entered is None else entered.base
        problems.raise_if_any()
        assert key is not None
        stock = (await lock_stocks(session, merchant_id, [key]))[key]
        await session.execute(
            update(t.stock)
            .where(t.stock.c.id == stock.id)
            .values(
                par_level=base["parLevel"], reorder_point=base["reorderPoint"], updated_at=utcnow()
            )
        )
        return await as_written(session, merchant_id, stock.id, None)
