"""The demo café of `inventory dev`: its fixed ids, materials, products and modifiers.

Pure data (no I/O): `dev_seed.py` writes it through the services, `inventory
simulate` sells it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

_NAMESPACE = uuid.UUID("5d1f0c3e-8a47-4b2e-9c61-0e7a3d9b4f20")


def demo_id(name: str) -> uuid.UUID:
    """A fixed id of the demo data, the same on every machine."""
    return uuid.uuid5(_NAMESPACE, name)


DEMO_MERCHANT_ID = demo_id("merchant")
MAIN, KIOSK = "MAIN", "KIOSK"


@dataclass(frozen=True)
class DemoPrep:
    """A prep recipe: one batch yields `yield_quantity` `yield_unit` from `lines`."""

    yield_quantity: Decimal
    yield_unit: str
    lines: dict[str, tuple[Decimal, str]]  # material key → (quantity, unit) per batch


@dataclass(frozen=True)
class DemoMaterial:
    key: str
    name: str
    unit: str
    stock: dict[str, Decimal]  # location code → opening on hand
    low_stock_threshold: Decimal
    units: tuple[tuple[str, Decimal, str], ...] = ()  # own units: (name, quantity, unit)
    prep: DemoPrep | None = None  # made in the kitchen


@dataclass(frozen=True)
class DemoProduct:
    key: str
    name: str
    tracked: bool
    recipe: dict[str, Decimal]  # material key → quantity per unit sold
    stock: dict[str, Decimal]  # opening stock of tracked products
    modifiers: tuple[str, ...] = ()

    @property
    def variant_id(self) -> uuid.UUID:
        return demo_id(f"product-variant:{self.key}")

    @property
    def made_in_kitchen(self) -> bool:
        return bool(self.recipe)


@dataclass(frozen=True)
class DemoModifier:
    key: str
    name: str
    recipe: dict[str, Decimal]

    @property
    def option_id(self) -> uuid.UUID:
        return demo_id(f"modifier-option:{self.key}")


def _d(value: str) -> Decimal:
    return Decimal(value)


MATERIALS = (
    DemoMaterial("beans", "Espresso beans", "g", {MAIN: _d("6000"), KIOSK: _d("2500")}, _d("1000")),
    # Bought by the case of 12 one-litre bottles, counted in bottles, poured in ml.
    DemoMaterial(
        "milk",
        "Whole milk",
        "ml",
        {MAIN: _d("30000"), KIOSK: _d("12000")},
        _d("5000"),
        units=(("bottle", _d("1"), "l"), ("case", _d("12"), "bottle")),
    ),
    DemoMaterial("oat", "Oat milk", "ml", {MAIN: _d("8000"), KIOSK: _d("3000")}, _d("2000")),
    DemoMaterial(
        "cocoa", "Chocolate sauce", "ml", {MAIN: _d("3000"), KIOSK: _d("1000")}, _d("500")
    ),
    DemoMaterial("vanilla", "Vanilla syrup", "ml", {MAIN: _d("1500"), KIOSK: _d("700")}, _d("300")),
    DemoMaterial("cup", "Paper cup 12oz", "pcs", {MAIN: _d("400"), KIOSK: _d("200")}, _d("80")),
    DemoMaterial(
        "water", "Filtered water", "ml", {MAIN: _d("50000"), KIOSK: _d("20000")}, _d("5000")
    ),
    # A prep item: the kitchen steeps it in 2 l batches.
    DemoMaterial(
        "cold-brew",
        "Cold brew concentrate",
        "ml",
        {MAIN: _d("3000"), KIOSK: _d("1000")},
        _d("1000"),
        prep=DemoPrep(_d("2"), "l", {"beans": (_d("0.25"), "kg"), "water": (_d("2.2"), "l")}),
    ),
)
MODIFIERS = (
    DemoModifier("extra-shot", "Extra shot", {"beans": _d("9")}),
    DemoModifier("oat-milk", "Oat milk", {"oat": _d("180")}),
    DemoModifier("vanilla", "Vanilla syrup", {"vanilla": _d("15")}),
)
_COFFEE_MODIFIERS = ("extra-shot", "oat-milk", "vanilla")
PRODUCTS = (
    DemoProduct("espresso", "Espresso", False, {"beans": _d("18"), "cup": _d("1")}, {}),
    DemoProduct(
        "cappuccino",
        "Cappuccino",
        False,
        {"beans": _d("18"), "milk": _d("150"), "cup": _d("1")},
        {},
        _COFFEE_MODIFIERS,
    ),
    DemoProduct(
        "latte",
        "Caffè latte",
        False,
        {"beans": _d("18"), "milk": _d("250"), "cup": _d("1")},
        {},
        _COFFEE_MODIFIERS,
    ),
    DemoProduct(
        "mocha",
        "Mocha",
        False,
        {"beans": _d("18"), "milk": _d("200"), "cocoa": _d("30"), "cup": _d("1")},
        {},
        ("extra-shot", "oat-milk"),
    ),
    DemoProduct(
        "cold-brew",
        "Cold brew on ice",
        False,
        {"cold-brew": _d("250"), "cup": _d("1")},
        {},
    ),
    DemoProduct("croissant", "Butter croissant", True, {}, {MAIN: _d("60"), KIOSK: _d("25")}),
    DemoProduct("water", "Still water 0.5l", True, {}, {MAIN: _d("96"), KIOSK: _d("48")}),
)
