"""One permission class per action of contracts/identity.md, declared on every root field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, cast

import strawberry
from strawberry.permission import BasePermission

from app.auth.actions import Action
from graphql_schema.context import Info

F = TypeVar("F", bound=Callable[..., Any])


class _ActionPermission(BasePermission):
    action: ClassVar[Action]
    message = "not allowed"

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        # Raises FORBIDDEN / UNAVAILABLE / UNAUTHENTICATED as coded top-level errors.
        await info.context.authorize(self.action)
        return True


class CanRead(_ActionPermission):
    action = Action.READ


class CanManageLocations(_ActionPermission):
    action = Action.LOCATION_MANAGE


class CanManageMaterials(_ActionPermission):
    action = Action.MATERIAL_MANAGE


class CanAdjustStock(_ActionPermission):
    action = Action.STOCK_ADJUST


class CanManagePurchaseOrders(_ActionPermission):
    action = Action.PURCHASE_ORDER_MANAGE


class CanReceivePurchaseOrders(_ActionPermission):
    action = Action.PURCHASE_ORDER_RECEIVE


class CanCreateTransfers(_ActionPermission):
    action = Action.TRANSFER_CREATE


def secured(
    permission: type[BasePermission], *, description: str | None = None
) -> Callable[[F], F]:
    """`@strawberry.field` guarded by `permission` (typed, so resolvers stay checked)."""
    return cast(
        Callable[[F], F],
        strawberry.field(permission_classes=[permission], description=description),
    )
