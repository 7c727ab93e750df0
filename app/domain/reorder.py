"""Reorder suggestions: par levels, usage-based cover, and rounding to whole packs.

The contract's rules (purchasing-and-valuation.graphql), per stock at a location, with
`position` = available + incoming (what ORDERED purchase orders will bring):

- PAR: a stock with a par level whose position is at or below its reorder point (below
  the par level when it has none) is suggested par level - position.
- USAGE: a stock with usage in the lookback whose position lasts fewer than coverDays at
  its average daily usage (usage / lookbackDays) is suggested
  averageDailyUsage x coverDays - position.

A stock last received in a pack (a unit other than its base unit) is suggested in whole
packs, rounded up. Rounding: the suggestion is rounded once, up, to the stored 6 places
(never order less than the rule asks); average daily usage is shown rounded half to even
to 6 places and days of cover to 2. Divisions run at 60 digits: a quotient of these
quantities (at most 19 digits, 6 places, by at most 366 days) that is not a finite
decimal lies farther than 1e-30 from any rounding boundary, so rounding the 60-digit
quotient once more gives what rounding the exact one would (and a ceiling of a ceiling
is the ceiling), without fractions.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Context, Decimal, localcontext
from enum import StrEnum

from app.domain.enums import MovementType
from app.domain.units import STORED_PLACES

QUANTITY = Decimal(1).scaleb(-STORED_PLACES)
DAYS_OF_COVER = Decimal("0.01")
ZERO = Decimal(0)
_EXACT = Context(prec=60)


# Usage as the usage report computes it (counts-and-variance.graphql): actualUsage =
# opening + received + adjustedIn + transferredIn + produced - transferredOut - closing.
# As closing - opening is the sum of every delta, that is minus the sum of the deltas of
# every other movement: sales, kitchen consumption, productions' consumption, waste,
# counts, negative adjustments, returns (net). These bring stock in or move it away
# without using it, so they are not usage (nor are positive ADJUSTMENT deltas):
NOT_USAGE = frozenset(
    {
        MovementType.PURCHASE_RECEIPT,
        MovementType.TRANSFER_IN,
        MovementType.TRANSFER_OUT,
        MovementType.PRODUCTION_OUTPUT,
    }
)


# What a flow read takes in: every NOT_USAGE movement and the adjustments, of which the
# positive ones are flows (adjustedIn); the ledger's partial index has this predicate.
FLOW_CANDIDATES = NOT_USAGE | {MovementType.ADJUSTMENT}


def is_usage(movement_type: MovementType, delta_on_hand: Decimal) -> bool:
    """Whether a movement's delta counts (negated) in actual usage."""
    if movement_type in NOT_USAGE:
        return False
    return not (movement_type is MovementType.ADJUSTMENT and delta_on_hand > 0)


class ReorderMethod(StrEnum):
    PAR = "PAR"
    USAGE = "USAGE"


@dataclass(frozen=True)
class StockPosition:
    available: Decimal
    incoming: Decimal
    par_level: Decimal | None
    reorder_point: Decimal | None
    usage: Decimal  # actual usage over the lookback, base unit

    @property
    def position(self) -> Decimal:
        return self.available + self.incoming


@dataclass(frozen=True)
class Suggestion:
    quantity: Decimal  # base unit, above zero
    packs: Decimal | None  # whole packs, when a pack size was given


def average_daily_usage(usage: Decimal, lookback_days: int) -> Decimal:
    """Usage over the lookback per day, 6 places half to even; 0 without usage."""
    if usage <= 0:
        return ZERO
    with localcontext(_EXACT):
        return (usage / lookback_days).quantize(QUANTITY, rounding=ROUND_HALF_EVEN)


def days_of_cover(available: Decimal, usage: Decimal, lookback_days: int) -> Decimal | None:
    """available / averageDailyUsage (exact usage, 2 places); None without usage."""
    if usage <= 0:
        return None
    with localcontext(_EXACT):
        return (available * lookback_days / usage).quantize(DAYS_OF_COVER, ROUND_HALF_EVEN)


def needed(
    method: ReorderMethod, stock: StockPosition, lookback_days: int, cover_days: int
) -> Decimal | None:
    """What the method asks to order before pack rounding, rounded up to the stored places
    (the rule's exact value when that is a whole number of them); None: nothing."""
    if method is ReorderMethod.PAR:
        if stock.par_level is None:
            return None
        trigger = stock.reorder_point
        low = stock.position < stock.par_level if trigger is None else stock.position <= trigger
        wanted = stock.par_level - stock.position if low else None
    else:
        if stock.usage <= 0:
            return None
        with localcontext(_EXACT) as exact:
            exact.rounding = ROUND_CEILING
            cover = (stock.usage * cover_days / lookback_days).quantize(QUANTITY, ROUND_CEILING)
        # The position has the stored places, so subtracting it keeps the rounding exact.
        wanted = cover - stock.position
    return wanted if wanted is not None and wanted > 0 else None


def round_to_packs(quantity: Decimal, pack_size: Decimal | None) -> Suggestion:
    """Whole packs rounded up (pack_size: one pack in the base unit), or the quantity as it
    is when there is no pack."""
    if pack_size is None or pack_size <= 0:
        return Suggestion(quantity, None)
    with localcontext(_EXACT) as exact:
        exact.rounding = ROUND_CEILING
        packs = (quantity / pack_size).to_integral_value(ROUND_CEILING)
    return Suggestion(pack_size * packs, packs)


def suggest(
    method: ReorderMethod,
    stock: StockPosition,
    *,
    lookback_days: int,
    cover_days: int,
    pack_size: Decimal | None = None,
) -> Suggestion | None:
    """The suggestion for one stock, or None when the method lists nothing for it."""
    wanted = needed(method, stock, lookback_days, cover_days)
    if wanted is None:
        return None
    suggestion = round_to_packs(wanted, pack_size)
    return suggestion if suggestion.quantity > 0 else None
