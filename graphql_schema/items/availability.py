"""availableToSell for a whole page of items, in the page's read.

When a page's nodes select `availableToSell(locationId: ...)`, the inventoryItems
resolver reads the page with availableToSell at every location asked as more columns of
the same statement (app.db.queries.availability.with_available_to_sell: computed in
SQL, one round trip whatever the page size), and each node keeps the answers
(InventoryItem.known_available). The resolver then answers without its loader (the list
plan runs it for the whole page at once, see graphql_schema/list_plan/).

The locations come from the selection as Strawberry reports it (fragments followed,
variables substituted, @skip/@include not applied): fetching for a field graphql-core
then skips costs nothing but a column; a location not found here (more than
MAX_LOCATIONS, say) is answered by the loader, as before.
"""

from __future__ import annotations

import uuid

from graphql_schema.context import Info
from graphql_schema.ids import parse_id
from graphql_schema.selected import connection_nodes, fields

FIELD = "availableToSell"
LOCATION = "Location"
# Aliases asking for many locations: past this many, the loader answers the rest.
MAX_LOCATIONS = 8


def asked_locations(info: Info) -> list[uuid.UUID]:
    """The locations whose availableToSell this connection's nodes (nodes or edges.node)
    select, in order, at most MAX_LOCATIONS."""
    found: dict[uuid.UUID, None] = {}
    for connection in info.selected_fields:
        for node in connection_nodes(connection.selections):
            for field in fields(node.selections):
                if field.name != FIELD:
                    continue
                value = field.arguments.get("locationId")
                location = parse_id(value, LOCATION) if isinstance(value, str) else None
                if location is not None and len(found) < MAX_LOCATIONS:
                    found[location] = None
    return list(found)
