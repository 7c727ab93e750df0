"""Query.standardUnits: the units and exact factors every item may use."""

from __future__ import annotations

import strawberry

from graphql_schema.permissions import CanRead, secured
from graphql_schema.units.types import StandardUnit, standard_units


@strawberry.type
class UnitQueries:
    @secured(CanRead)
    def standard_units(self) -> list[StandardUnit]:
        return standard_units()
