"""Prometheus series of the realtime hubs of this process, read at scrape time.

- `inventory_realtime_subscribers` — subscriptions waiting for events;
- `inventory_realtime_channels` — (stream, merchant) channels this process listens on;
- `inventory_realtime_connections` — open GraphQL websockets;
- `inventory_realtime_messages_total{outcome}` — published, received, duplicate
  (a version already passed on), malformed, offered (to a subscriber);
- `inventory_realtime_overflows_total` — subscribers disconnected for falling behind.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Iterator

from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from app.realtime.hub import RealtimeHub

_hubs: weakref.WeakSet[RealtimeHub] = weakref.WeakSet()


class ConnectionCount:
    """Open websockets of this process (the websocket layer counts them)."""

    open = 0


class RealtimeCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        hubs = list(_hubs)
        yield GaugeMetricFamily(
            "inventory_realtime_subscribers",
            "Subscriptions waiting for realtime events",
            value=sum(hub.subscriber_count for hub in hubs),
        )
        yield GaugeMetricFamily(
            "inventory_realtime_channels",
            "Broadcast channels this process listens on",
            value=sum(hub.channel_count for hub in hubs),
        )
        yield GaugeMetricFamily(
            "inventory_realtime_connections",
            "Open GraphQL websocket connections",
            value=ConnectionCount.open,
        )
        messages = CounterMetricFamily(
            "inventory_realtime_messages",
            "Realtime messages by outcome",
            labels=["outcome"],
        )
        for outcome in ("published", "received", "duplicates", "malformed", "offered"):
            messages.add_metric([outcome], sum(getattr(hub.stats, outcome) for hub in hubs))
        yield messages
        yield CounterMetricFamily(
            "inventory_realtime_overflows",
            "Subscribers disconnected for falling behind",
            value=sum(hub.stats.overflowed for hub in hubs),
        )


@functools.cache
def _registered() -> RealtimeCollector:
    collector = RealtimeCollector()
    REGISTRY.register(collector)
    return collector


def watch_hub(hub: RealtimeHub) -> None:
    """Include `hub` in the process's /metrics (registered once, whatever the hub count)."""
    _registered()
    _hubs.add(hub)
