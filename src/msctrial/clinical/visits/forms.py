"""Case report forms: what a site enters at a visit, item by item, each with its unit and limits.

A protocol's visit lists form names (``Protocol.visits[].forms``); the forms themselves are
data, in ``forms.yaml`` beside this module, read once into frozen ``Form`` and ``Item``
objects. Every numeric item has a canonical unit (stored and compared) and may be entered in
any unit of the same kind, converted by pint (``msctrial.core.units``). Limits come in two
strengths: outside the *hard* range a value is implausible and refused; outside the *soft*
range it is unusual, stored, and raises a query to the site (``visits.edit_checks``).
Derived items (P/F, NLR, CD4/CD8, the WHO scale) are computed (``visits.derived``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import Any

import yaml

from msctrial.core.errors import InvalidInput


class ItemKind(StrEnum):
    number = "number"
    choice = "choice"
    boolean = "boolean"
    date = "date"
    text = "text"


@dataclass(frozen=True)
class Limits:
    """An inclusive range in the item's canonical unit; either end may be open."""

    low: float | None = None
    high: float | None = None

    def contains(self, value: float) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def __str__(self) -> str:
        if self.low is not None and self.high is not None:
            return f"{self.low:g}–{self.high:g}"
        if self.low is not None:
            return f"≥ {self.low:g}"
        return f"≤ {self.high:g}" if self.high is not None else "any value"


@dataclass(frozen=True)
class Item:
    name: str
    label: str
    kind: ItemKind = ItemKind.number
    unit: str | None = None
    units: tuple[str, ...] = ()
    hard: Limits | None = None
    soft: Limits | None = None
    reference: str | None = None
    choices: tuple[str, ...] = ()
    required: bool = False
    derived: bool = False
    scale: str | None = None  # an ordinal score's scale and numbering (CLINICAL_FACTS §2.2)
    source: str = ""
    help: str = ""

    @property
    def accepted_units(self) -> tuple[str, ...]:
        return ((self.unit,) if self.unit else ()) + self.units

    @property
    def cited(self) -> str:
        """Where the limits come from, for messages."""
        return "msctrial edit-check limit" if self.source in ("", "msctrial") else self.source

    @property
    def unit_label(self) -> str:
        return {"1": "", "1/min": "/min", "degC": "°C"}.get(self.unit or "", self.unit or "")


@dataclass(frozen=True)
class Form:
    name: str
    label: str
    items: tuple[Item, ...]

    def item(self, name: str) -> Item | None:
        return next((i for i in self.items if i.name == name), None)

    @property
    def entered_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if not i.derived)

    @property
    def derived_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.derived)

    @property
    def required_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.required)


def _limits(value: Any) -> Limits | None:
    if value is None:
        return None
    low, high = value
    return Limits(None if low is None else float(low), None if high is None else float(high))


def _item(data: dict[str, Any]) -> Item:
    return Item(
        name=data["name"],
        label=data["label"],
        kind=ItemKind(data.get("kind", "number")),
        unit=data.get("unit"),
        units=tuple(data.get("units", ())),
        hard=_limits(data.get("hard")),
        soft=_limits(data.get("soft")),
        reference=data.get("reference"),
        choices=tuple(data.get("choices", ())),
        required=bool(data.get("required", False)),
        derived=bool(data.get("derived", False)),
        scale=data.get("scale"),
        source=data.get("source", ""),
        help=data.get("help", ""),
    )


def parse_forms(text: str) -> dict[str, Form]:
    """Forms from their YAML catalogue (the format of ``forms.yaml``)."""
    data = yaml.safe_load(text)
    return {
        name: Form(name, spec["label"], tuple(_item(i) for i in spec["items"]))
        for name, spec in data.items()
    }


@functools.cache
def catalogue() -> dict[str, Form]:
    text = resources.files("msctrial.clinical.visits").joinpath("forms.yaml").read_text("utf-8")
    return parse_forms(text)


def get_form(name: str) -> Form:
    """The form called ``name``, or InvalidInput listing the forms that exist."""
    form = catalogue().get(name)
    if form is None:
        raise InvalidInput(
            f"form: {name!r} is not a form; known forms: {', '.join(catalogue())}", field="form"
        )
    return form
