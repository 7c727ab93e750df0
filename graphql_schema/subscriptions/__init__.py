"""Subscriptions: the realtime stock events of `app/realtime`, filtered per subscriber,
and the websocket side of /graphql (`socket.py`)."""

from graphql_schema.subscriptions.resolvers import Subscription

__all__ = ["Subscription"]
