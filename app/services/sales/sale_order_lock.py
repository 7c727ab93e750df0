"""The advisory lock that serializes every payment and kitchen event of one sale order.

A transaction-scoped advisory lock on a hash of (merchant, sale order): there is no sale
order row to lock (the first event of an order may be either kind), and a payment cannot
lock kitchen rows that do not exist yet. Holding it, a kitchen event either sees the
payment's snapshot or leaves a pending effect the payment will see; the two can never
both miss each other. Both flows take it as their transaction begins
(`UnitOfWork.transaction(lock_keys=...)`), before any stock lock, so it adds no
deadlock; a hash collision only serializes two unrelated orders.
"""

from __future__ import annotations

import uuid


def sale_order_lock_key(merchant_id: uuid.UUID, sale_order_id: uuid.UUID) -> str:
    return f"sale-order:{merchant_id}:{sale_order_id}"
