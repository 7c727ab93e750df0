"""Material transfers between two locations (inventory:transfer.create)."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from app.domain.transfers import TransferLine
from app.services import transfers as service
from graphql_schema.context import Info
from graphql_schema.errors import UserError
from graphql_schema.mutations import input_id, mutate
from graphql_schema.permissions import CanCreateTransfers, secured
from graphql_schema.transfers.types import Transfer, load_transfer


@strawberry.input
class TransferLineInput:
    material_id: strawberry.ID
    quantity: Decimal
    unit: str | None = None


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
        lines = [
            TransferLine(input_id(line.material_id, "Material"), line.quantity, line.unit)
            for line in input.lines
        ]
        transfer, errors = await mutate(
            info,
            lambda uow, actor: service.transfer_materials(
                uow,
                actor,
                from_location_id=input_id(input.from_location_id, "Location"),
                to_location_id=input_id(input.to_location_id, "Location"),
                lines=lines,
                idempotency_key=idempotency_key,
            ),
            lambda info, result: load_transfer(info, result.transfer_id),
        )
        return TransferPayload(transfer=transfer, user_errors=errors)
