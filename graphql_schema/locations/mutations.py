"""Location mutations: create, update, archive (inventory:location.manage)."""

from __future__ import annotations

import uuid

import strawberry

from app.services import locations as service
from graphql_schema.context import Info
from graphql_schema.errors import UserError
from graphql_schema.loaders import forget
from graphql_schema.locations.types import TYPE_NAME, Location, load_location
from graphql_schema.mutations import input_id, mutate
from graphql_schema.permissions import CanManageLocations, secured


@strawberry.input
class LocationInput:
    name: str
    code: str | None = None
    address: str | None = None


@strawberry.input
class LocationUpdateInput:
    name: str | None = None
    code: str | None = None
    address: str | None = None


@strawberry.type
class LocationPayload:
    location: Location | None
    user_errors: list[UserError]


async def _fresh(info: Info, result: service.LocationResult) -> Location | None:
    forget(info.context.loaders.location, result.location_id)
    return await load_location(info, result.location_id)


@strawberry.type
class LocationMutations:
    @secured(CanManageLocations)
    async def location_create(
        self, info: Info, input: LocationInput, idempotency_key: str | None = None
    ) -> LocationPayload:
        location, errors = await mutate(
            info,
            lambda uow, actor: service.create_location(
                uow,
                actor,
                name=input.name,
                code=input.code,
                address=input.address,
                idempotency_key=idempotency_key,
            ),
            _fresh,
        )
        return LocationPayload(location=location, user_errors=errors)

    @secured(CanManageLocations)
    async def location_update(
        self, info: Info, id: strawberry.ID, input: LocationUpdateInput
    ) -> LocationPayload:
        pk: uuid.UUID = input_id(id, TYPE_NAME)
        location, errors = await mutate(
            info,
            lambda uow, actor: service.update_location(
                uow,
                actor,
                pk,
                name=input.name,
                code=input.code,
                address=input.address,
            ),
            _fresh,
        )
        return LocationPayload(location=location, user_errors=errors)

    @secured(CanManageLocations)
    async def location_archive(self, info: Info, id: strawberry.ID) -> LocationPayload:
        pk = input_id(id, TYPE_NAME)
        location, errors = await mutate(
            info,
            lambda uow, actor: service.archive_location(uow, actor, pk),
            _fresh,
        )
        return LocationPayload(location=location, user_errors=errors)
