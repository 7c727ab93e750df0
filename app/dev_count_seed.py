"""The demo café's open stock-take: a count session at Main Street with a variance, so
`inventory dev` shows counts, lines and their variance value from the first start.

Whole milk counted in bottles in the walk-in, beans in kilograms in the back room, oat
milk in litres in the walk-in and in millilitres at the bar, all short of what the ledger
expects. Left OPEN: the
developer applies or cancels it. Idempotent: the session is started under a fixed
idempotency key, and its entries are recorded only while it has none.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.domain.enums import CountScope, CountStatus, ItemType
from app.services.context import Actor
from app.services.count_entries import CountEntryInput, record_entries
from app.services.count_sessions import CountSessionInput, start_session
from app.services.stock_refs import StockRef

SESSION_KEY = "demo-seed:count-session"
# (material key, area, quantity, unit)
ENTRIES = [
    # Milk has a cost from the start (the dairy's case is received), so the session's
    # variance has a value: 29 bottles where 30 l were seeded.
    ("milk", "walk-in", Decimal(29), "bottle"),
    ("beans", "back room", Decimal("5.8"), "kg"),
    ("oat", "walk-in", Decimal(7), "l"),
    ("oat", "bar", Decimal(300), "ml"),
]


async def seed_count_session(
    sessions: async_sessionmaker[AsyncSession],
    actor: Actor,
    location_id: uuid.UUID,
    materials: dict[str, uuid.UUID],
) -> uuid.UUID:
    session_id = await start_session(
        sessions,
        actor,
        CountSessionInput(location_id, CountScope.PARTIAL, name="Demo stock-take"),
        SESSION_KEY,
    )
    async with sessions() as session:
        status, entries = (
            await session.execute(
                select(
                    t.count_session.c.status,
                    select(func.count())
                    .where(t.count_entry.c.session_id == session_id)
                    .scalar_subquery(),
                ).where(t.count_session.c.id == session_id)
            )
        ).one()
    if CountStatus(status) is CountStatus.OPEN and entries == 0:
        given = [
            CountEntryInput(
                StockRef(
                    location_id=location_id, item_type=ItemType.MATERIAL, item_id=materials[key]
                ),
                quantity,
                area,
                unit,
            )
            for key, area, quantity, unit in ENTRIES
        ]
        await record_entries(sessions, actor, session_id, given)
    return session_id
