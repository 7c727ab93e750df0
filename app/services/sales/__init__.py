"""The sale order use cases: a payment, from its decoded event to the ledger, and the
kitchen ticket statuses that settle what it reserved.

- `payments`: `apply_payments` — one transaction per batch, begun holding each sale
  order's lock (`sale_order_lock`);
- `reads`: the one statement that reads what a batch needs first;
- `plans`: each payment's moves, from the domain's rules (`app.domain.sale`,
  `app.domain.sale_snapshot`, `app.domain.kitchen`) and what the database holds;
- `recorded`: a sale order's recorded sale and kitchen effects;
- `kitchen`: `apply_kitchen_status`.

Both write through `app.services.stock_ledger`.
"""

from app.services.sales.kitchen import KitchenOutcome, apply_kitchen_status
from app.services.sales.payments import PaymentOutcome, apply_payment, apply_payments

__all__ = [
    "KitchenOutcome",
    "PaymentOutcome",
    "apply_kitchen_status",
    "apply_payment",
    "apply_payments",
]
