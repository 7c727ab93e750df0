"""Realtime stock events for GraphQL subscriptions: Kafka → broadcaster → subscribers.

`consumer.py` reads `inventory.stock-changed` and publishes each event to its
merchant's channel (`streams.py`); `hub.py` holds the process's broadcaster and
fans each channel out to local subscribers, each with a bounded, coalescing queue
(`subscriber.py`). `lifespan.py` starts and stops both with the app.
"""
