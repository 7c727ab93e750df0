"""Subscriptions: the realtime stock events of `app/realtime`, filtered per subscriber,
and the websocket side of /graphql (`socket.py`)."""

import strawberry

from graphql_schema.subscriptions.availability import AvailabilitySubscription
from graphql_schema.subscriptions.resolvers import Subscription as StockSubscription


@strawberry.type(name="Subscription")
class Subscription(StockSubscription, AvailabilitySubscription):
    pass


__all__ = ["Subscription"]
