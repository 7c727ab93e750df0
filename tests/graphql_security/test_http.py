"""Over HTTP (Strawberry's ASGI view, as the route uses it): batching off, the cost in the body."""

from __future__ import annotations

import httpx
from strawberry.asgi import GraphQL

from graphql_schema.security import SecurityLimits
from tests.fakes.clock import FakeClock
from tests.graphql_security.shapes import Caller, build


class View(GraphQL[Caller, None]):
    async def get_context(self, request: object, response: object) -> Caller:
        return Caller("merchant-1:alice")


def client(limits: SecurityLimits | None = None) -> httpx.AsyncClient:
    view = View(build(limits=limits, clock=FakeClock(0)), graphql_ide=None)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=view), base_url="http://test")


async def test_a_batch_of_operations_is_refused() -> None:
    async with client() as http:
        response = await http.post("/", json=[{"query": "{ hello }"}, {"query": "{ hello }"}])

    assert response.status_code == 400
    assert response.text == "Batching is not enabled"


async def test_the_response_body_carries_the_cost_and_a_throttled_one_no_data() -> None:
    query = {"query": "{ stocks(first: 40) { nodes { id } } }"}  # costs 42
    async with client(SecurityLimits(budget_points=50, refill_per_second=1)) as http:
        served = await http.post("/", json=query)
        throttled = await http.post("/", json=query)

    assert served.status_code == 200
    assert served.json()["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 8
    assert throttled.status_code == 200
    assert throttled.json() == {
        "data": None,
        "errors": [
            {
                "message": "Throttled: the query costs 42 points and 8 are available;"
                " the budget refills by 1 per second.",
                "extensions": {"code": "THROTTLED"},
            }
        ],
        "extensions": {
            "cost": {
                "requestedQueryCost": 42,
                "actualQueryCost": None,
                "throttleStatus": {
                    "maximumAvailable": 50,
                    "currentlyAvailable": 8,
                    "restoreRate": 1,
                },
            }
        },
    }
