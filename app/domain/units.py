"""Units of measure: the contract's standard units and an item's own units.

Every stock item keeps its quantities in its base unit. A quantity entered in
another unit is converted by exact rational arithmetic (`Fraction`: a factor
such as 1 g in oz has no finite decimal) and rounded once, half to even, to the
stored scale; nothing is ever converted back, so nothing drifts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

# The scale quantities are stored with: the one rounding point of a conversion.
STORED_PLACES = 6
# A cost per base unit keeps at least 10 places (the contract); 12 leaves room.
COST_PLACES = 12
# ItemUnit.factor is shown to this many places when it has no finite decimal.
FACTOR_PLACES = 20


@dataclass(frozen=True)
class StandardUnit:
    name: str
    dimension: str
    factor: Decimal  # 1 name = factor x reference_unit
    reference_unit: str


def _standard(
    dimension: str, reference: str, factors: Sequence[tuple[str, str]]
) -> list[StandardUnit]:
    return [StandardUnit(name, dimension, Decimal(factor), reference) for name, factor in factors]


STANDARD_UNITS: tuple[StandardUnit, ...] = (
    *_standard(
        "mass",
        "g",
        [("mg", "0.001"), ("g", "1"), ("kg", "1000"), ("oz", "28.349523125"), ("lb", "453.59237")],
    ),
    *_standard(
        "volume",
        "ml",
        [
            ("ml", "1"),
            ("cl", "10"),
            ("dl", "100"),
            ("l", "1000"),
            ("tsp", "4.92892159375"),
            ("tbsp", "14.78676478125"),
            ("floz", "29.5735295625"),
            ("cup", "236.5882365"),
            ("pt", "473.176473"),
            ("qt", "946.352946"),
            ("gal", "3785.411784"),
        ],
    ),
    *_standard("count", "pcs", [("pcs", "1")]),
)
_STANDARD_BY_NAME: Mapping[str, StandardUnit] = {u.name: u for u in STANDARD_UNITS}


def unit_key(name: str) -> str:
    """Unit names match case-insensitively: "Case", "CASE" and "case" are one unit."""
    return name.strip().casefold()


def standard_unit(name: str) -> StandardUnit | None:
    return _STANDARD_BY_NAME.get(unit_key(name))


@dataclass(frozen=True)
class OwnUnit:
    """A unit of one item: `name` = `quantity` x `unit` ("case" = 12 "bottle")."""

    name: str
    quantity: Decimal
    unit: str


class UnitBook:
    """The units one item converts: its base unit, its own units, and the standard units
    of every dimension its base unit or one of its own units belongs to.

    `factor(u)` is how many base units one `u` is, exactly, or None when `u` does not
    convert for the item. Own units may be defined in terms of each other (chains) in
    any order; one named as a standard unit of another dimension than the base unit's
    bridges that dimension ("g" = 0.02 "pcs" for eggs: then "kg" converts too).
    """

    def __init__(self, base: str, own: Iterable[OwnUnit] = ()) -> None:
        self.base = base
        self.own: tuple[OwnUnit, ...] = tuple(own)
        self._factors = _resolve(base, self.own)

    def factor(self, unit: str | None) -> Fraction | None:
        if unit is None:
            return Fraction(1)
        key = unit_key(unit)
        known = self._factors.get(key)
        if known is not None:
            return known
        standard = _STANDARD_BY_NAME.get(key)
        if standard is None:
            return None
        reference = self._factors.get(standard.reference_unit)
        if reference is None:
            return None
        return Fraction(standard.factor) * reference

    def converts(self, unit: str | None) -> bool:
        return self.factor(unit) is not None

    def to_base(self, quantity: Decimal, unit: str | None) -> Decimal | None:
        """`quantity` of `unit` in base units, rounded once (half to even, 6 places)."""
        factor = self.factor(unit)
        if factor is None:
            return None
        if factor == 1:
            return quantity
        return round_stored(Fraction(quantity) * factor)

    def from_base(self, quantity: Decimal, unit: str | None) -> Decimal | None:
        """A base quantity shown in `unit` (cases on hand), rounded half to even, 6 places."""
        factor = self.factor(unit)
        if factor is None:
            return None
        return round_stored(Fraction(quantity) / factor)

    def convert_cost(self, cost: Decimal, per: str | None, to: str | None) -> Decimal | None:
        """A cost per unit `per` as a cost per unit `to` (None: the base unit): exact when
        they are the same unit, else rounded half to even to 12 places."""
        if unit_key(per or self.base) == unit_key(to or self.base):
            return cost
        per_factor, to_factor = self.factor(per), self.factor(to)
        if per_factor is None or to_factor is None:
            return None
        return _quantize(Fraction(cost) * to_factor / per_factor, COST_PLACES)

    def same_unit(self, a: str | None, b: str | None) -> bool:
        return unit_key(a or self.base) == unit_key(b or self.base)

    def own_factors(self) -> list[tuple[OwnUnit, Fraction]]:
        """Each own unit with its factor; one whose chain no longer converts is left out."""
        out: list[tuple[OwnUnit, Fraction]] = []
        for unit in self.own:
            factor = self._factors.get(unit_key(unit.name))
            if factor is not None:
                out.append((unit, factor))
        return out

    def display_name(self, unit: str | None) -> str:
        """A unit as the item defined it (its base or own unit's spelling), else as given."""
        if unit is None or unit_key(unit) == unit_key(self.base):
            return self.base
        for own in self.own:
            if unit_key(own.name) == unit_key(unit):
                return own.name
        standard = standard_unit(unit)
        return standard.name if standard is not None else unit.strip()

    def is_base(self, unit: str | None) -> bool:
        return unit is None or unit_key(unit) == unit_key(self.base)


def _resolve(base: str, own: Sequence[OwnUnit]) -> dict[str, Fraction]:
    """Factors of the base unit, the own units that convert, and the reference unit of
    each dimension reachable (by the base unit's own dimension or by a bridge)."""
    factors: dict[str, Fraction] = {}

    def learn(name: str, factor: Fraction) -> None:
        key = unit_key(name)
        factors.setdefault(key, factor)
        standard = _STANDARD_BY_NAME.get(key)
        if standard is not None:
            factors.setdefault(standard.reference_unit, factor / Fraction(standard.factor))

    learn(base, Fraction(1))
    pending = list(own)
    # Fixed point: each round resolves the own units whose `unit` has become known.
    while pending:
        unresolved: list[OwnUnit] = []
        for unit in pending:
            of = _lookup(factors, unit.unit)
            if of is None:
                unresolved.append(unit)
            else:
                learn(unit.name, Fraction(unit.quantity) * of)
        if len(unresolved) == len(pending):
            break
        pending = unresolved
    return factors


def _lookup(factors: Mapping[str, Fraction], unit: str) -> Fraction | None:
    key = unit_key(unit)
    if key in factors:
        return factors[key]
    standard = _STANDARD_BY_NAME.get(key)
    if standard is None or standard.reference_unit not in factors:
        return None
    return Fraction(standard.factor) * factors[standard.reference_unit]


class UnitDefinitionError(ValueError):
    """Why an own unit cannot be defined or removed (the service names the field)."""

    def __init__(self, message: str, *, field: str, mismatch: bool = False) -> None:
        super().__init__(message)
        self.field = field
        self.mismatch = mismatch


def define_unit(book: UnitBook, unit: OwnUnit) -> UnitBook:
    """The book with `unit` defined or redefined, or UnitDefinitionError.

    The name may not be the base unit's, nor a standard unit that already converts for
    the item otherwise (it would contradict the standard factor); `quantity` must be
    above zero; `unit` must convert for the item without the unit being defined
    (UNIT_MISMATCH: that is also what refuses a chain that loops back). Redefining a
    unit keeps the others' definitions, which may then convert differently.
    """
    name_key = unit_key(unit.name)
    if not name_key:
        raise UnitDefinitionError("must not be empty", field="name")
    if name_key == unit_key(book.base):
        raise UnitDefinitionError("is the item's base unit", field="name")
    if unit.quantity <= 0:
        raise UnitDefinitionError("must be greater than 0", field="quantity")
    others = [u for u in book.own if unit_key(u.name) != name_key]
    without = UnitBook(book.base, others)
    standard = standard_unit(unit.name)
    if standard is not None and without.converts(unit.name):
        raise UnitDefinitionError(
            f"{standard.name} already converts for this item by its standard factor", field="name"
        )
    if not without.converts(unit.unit) or unit_key(unit.unit) == name_key:
        raise UnitDefinitionError(
            f"{unit.unit} does not convert for this item", field="unit", mismatch=True
        )
    replaced = [unit if unit_key(u.name) == name_key else u for u in book.own]
    if len(replaced) == len(others):
        replaced.append(unit)
    new = UnitBook(book.base, replaced)
    _refuse_lost_units(book, new)
    return new


def remove_unit(book: UnitBook, name: str) -> UnitBook:
    """The book without own unit `name`; refused when another own unit is defined by it."""
    key = unit_key(name)
    if not any(unit_key(u.name) == key for u in book.own):
        raise UnitDefinitionError(f"{name} is not a unit of this item", field="name")
    new = UnitBook(book.base, [u for u in book.own if unit_key(u.name) != key])
    _refuse_lost_units(book, new)
    return new


def _refuse_lost_units(before: UnitBook, after: UnitBook) -> None:
    for unit, _ in before.own_factors():
        if any(unit_key(u.name) == unit_key(unit.name) for u in after.own) and not after.converts(
            unit.name
        ):
            raise UnitDefinitionError(
                f"{unit.name} is defined in terms of it and would no longer convert",
                field="name",
            )


def round_stored(value: Fraction | Decimal) -> Decimal:
    """The one rounding point: half to even, to the stored scale (6 places)."""
    return _quantize(value, STORED_PLACES)


def cost_per_base_unit(quantity: Decimal, unit_cost: Decimal, base_quantity: Decimal) -> Decimal:
    """A unit cost entered per unit U, as a cost per base unit (12 places, half to even).

    The line's value is quantity x unit cost exactly as entered; the cost per base unit
    is that value / the base quantity. Zero base quantity: the entered unit cost.
    """
    if base_quantity == 0:
        return unit_cost
    return _quantize(
        Fraction(quantity) * Fraction(unit_cost) / Fraction(base_quantity), COST_PLACES
    )


def factor_decimal(factor: Fraction) -> Decimal:
    """A factor as a Decimal: exact when it has a finite decimal, else 20 places."""
    exact = _finite_decimal(factor)
    if exact is not None:
        return exact
    return _quantize(factor, FACTOR_PLACES)


def _finite_decimal(value: Fraction) -> Decimal | None:
    denominator = value.denominator
    twos = fives = 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    if denominator != 1:
        return None
    places = max(twos, fives)
    scaled = value * 10**places
    return Decimal(int(scaled)).scaleb(-places).normalize()


def _quantize(value: Fraction | Decimal, places: int) -> Decimal:
    scaled = Fraction(value) * 10**places
    # Python's round() of a Fraction is half to even and exact.
    return Decimal(round(scaled)).scaleb(-places)
