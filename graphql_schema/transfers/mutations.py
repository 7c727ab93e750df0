"""Material transfers between two locations (inventory:transfer.create)."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from app.services import transfers as service
from graphql_schema.context import Info
from graphql_schema.errors import UserError
from graphql_schema.mutations import input_id, perform
from graphql_schema.permissions import CanCreateTransfers, secured
from graphql_schema.transfers.types import Transfer, load_transfer


@strawberry.input
class TransferLineInput:
    material_id: strawberry.ID
    quantity: Decimal


@strawberry.input
class TransferInput:
    from_location_id: strawberry.ID
    to_location_id: strawberry.ID
    lines: list[TransferLineInput]


@strawberry.type
class TransferPayload:
    transfer: Transfer | None
    user_errors: list[UserError]


@strawberry.type
class TransferMutations:
    @secured(CanCreateTransfers)
    async def material_transfer(
        self, info: Info, input: TransferInput, idempotency_key: str | None = None
    ) -> TransferPayload:
        context = info.context
        lines = [
            service.TransferLineInput(input_id(line.material_id, "Material"), line.quantity)
            for line in input.lines
        ]
        result, errors = await perform(
            lambda: service.transfer_materials(
                context.sessions,
                context.actor,
                from_location_id=input_id(input.from_location_id, "Location"),
                to_location_id=input_id(input.to_location_id, "Location"),
                lines=lines,
                idempotency_key=idempotency_key,
            )
        )
        transfer = None if result is None else await load_transfer(info, result.transfer_id)
        return TransferPayload(transfer=transfer, user_errors=errors)
