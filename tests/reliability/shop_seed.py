"""A merchant with a location and stocked materials, written through the services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from graphql_schema.ids import global_id
from tests.rest import seed

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class StockedShop:
    merchant_id: uuid.UUID
    location_id: uuid.UUID
    material_ids: list[uuid.UUID]
    stock_ids: list[uuid.UUID]

    @property
    def stock_gids(self) -> list[str]:
        return [global_id("Stock", s) for s in self.stock_ids]


async def stocked_shop(
    sessions: Sessions, stocks: int, on_hand: str, merchant_id: uuid.UUID | None = None
) -> StockedShop:
    merchant_id = merchant_id or uuid.uuid4()
    location_id = await seed.location(sessions, "Main", merchant_id=merchant_id)
    materials, stock_ids = [], []
    for i in range(stocks):
        material_id = await seed.material(sessions, f"Material {i}", merchant_id=merchant_id)
        materials.append(material_id)
        stock_ids.append(
            await seed.material_stock(
                sessions, location_id, material_id, on_hand, merchant_id=merchant_id
            )
        )
    return StockedShop(merchant_id, location_id, materials, stock_ids)
