"""Location mutations: create, update, archive (inventory:location.manage)."""

from __future__ import annotations

import uuid

import strawberry

from app.services import locations as service
from graphql_schema.context import Info
from graphql_schema.errors import UserError
from graphql_schema.loaders import forget
from graphql_schema.locations.types import TYPE_NAME, Location, load_location
from graphql_schema.mutations import input_id, perform
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


async def _payload(
    info: Info, result: service.LocationResult | None, errors: list[UserError]
) -> LocationPayload:
    location = None
    if result is not None:
        forget(info.context.loaders.location, result.location_id)
        location = await load_location(info, result.location_id)
    return LocationPayload(location=location, user_errors=errors)


@strawberry.type
class LocationMutations:
    @secured(CanManageLocations)
    async def location_create(
        self, info: Info, input: LocationInput, idempotency_key: str | None = None
    ) -> LocationPayload:
        context = info.context
        result, errors = await perform(
            lambda: service.create_location(
                context.sessions,
                context.actor,
                name=input.name,
                code=input.code,
                address=input.address,
                idempotency_key=idempotency_key,
            )
        )
        return await _payload(info, result, errors)

    @secured(CanManageLocations)
    async def location_update(
        self, info: Info, id: strawberry.ID, input: LocationUpdateInput
    ) -> LocationPayload:
        context = info.context
        pk: uuid.UUID = input_id(id, TYPE_NAME)
        result, errors = await perform(
            lambda: service.update_location(
                context.sessions,
                context.actor,
                pk,
                name=input.name,
                code=input.code,
                address=input.address,
            )
        )
        return await _payload(info, result, errors)

    @secured(CanManageLocations)
    async def location_archive(self, info: Info, id: strawberry.ID) -> LocationPayload:
        context = info.context
        pk = input_id(id, TYPE_NAME)
        result, errors = await perform(
            lambda: service.archive_location(context.sessions, context.actor, pk)
        )
        return await _payload(info, result, errors)
