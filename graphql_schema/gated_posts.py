"""The way a POST to /graphql goes: a mutation straight to execution; a read after the
writes under way, from the response cache, else through the read gate (read_gate.py
says why), executed with a place or answered by the execution it followed."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Protocol

from starlette.types import Receive, Scope, Send

from app.body_limit import replay_body
from graphql_schema.cache_plans import Plans
from graphql_schema.cached_reads import EXECUTED, PENDING, CachedReads, Pending, read_whole_body
from graphql_schema.read_budget import ReadsBusy
from graphql_schema.read_gate import ReadGate, is_mutation, refused


class Route(Protocol):
    """What the route gives: its cache, gate and plans (None when off), and execution."""

    cached_reads: CachedReads | None
    read_gate: ReadGate | None
    plans: Plans | None

    async def execute_http(self, scope: Scope, receive: Receive, send: Send) -> None: ...


async def post(route: Route, scope: Scope, receive: Receive, send: Send) -> None:
    """An authenticated POST (its principal in the request's state)."""
    gate, plans = route.read_gate, route.plans
    if gate is None or plans is None:
        going_on = await _from_cache(route, scope, receive, send)
        if going_on is not None:
            await route.execute_http(scope, going_on, send)
        return
    body = await read_whole_body(receive)
    if body is None:
        return  # the client went away
    receive = replay_body(body, receive)
    if is_mutation(body, plans):
        with gate.writing():
            await route.execute_http(scope, receive, send)
        return
    await gate.after_writes()
    going_on = await _from_cache(route, scope, receive, send)
    if going_on is not None:
        await _read(route, gate, scope, going_on, send)


async def _read(route: Route, gate: ReadGate, scope: Scope, receive: Receive, send: Send) -> None:
    """Executed with a place of the gate, or answered by the execution it followed."""
    try:
        admission = await gate.enter(_flight_key(scope))
        if admission.follows is not None:
            entry = await admission.follows.result
            if entry is not None and route.cached_reads is not None:
                principal = scope["state"]["principal"]
                going_on = await route.cached_reads.answer(entry, scope, receive, send, principal)
                if going_on is not None:
                    # Refused (forbidden, throttled): Strawberry answers as uncached.
                    await route.execute_http(scope, going_on, send)
                return
            # The execution had nothing to share (an error, say): one of its own.
            admission = await gate.enter()
    except ReadsBusy:
        await refused()(scope, receive, send)
        return
    try:
        if admission.waited:
            # Executed meanwhile with the data unchanged: the cache answers.
            going_on = await _from_cache(route, scope, receive, send)
            if going_on is None:
                return
            receive = going_on
        await route.execute_http(scope, receive, send)
        if admission.leads is not None:
            admission.leads.finish(scope["state"].get(EXECUTED))
    finally:
        gate.leave(admission)


def _flight_key(scope: Scope) -> Hashable | None:
    """The response cache's key of a read it could keep (others execute each)."""
    pending = scope["state"].get(PENDING)
    if not isinstance(pending, Pending) or pending.token is None:
        return None
    return None if pending.plan.actions is None else pending.key


async def _from_cache(route: Route, scope: Scope, receive: Receive, send: Send) -> Receive | None:
    """None when the response cache answered; else the `receive` to go on with."""
    if route.cached_reads is None:
        return receive
    principal = scope["state"]["principal"]
    return await route.cached_reads.serve(scope, receive, send, principal)
