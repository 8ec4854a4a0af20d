"""Units: one pint registry for the whole platform, with the units a cell-therapy trial needs.

Doses are counted in cells (per kg of body weight or per administration), endotoxin in EU,
blood counts in 10^9/L. Stored values always carry their unit; conversion is pint's job.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

import pint

from msctrial.core.errors import InvalidInput

_EXTRA = [
    # A cell is a counted entity; keeping it a dimension of its own stops a dose in cells being
    # silently mixed with a dimensionless ratio.
    "cell = [cell_count] = cells",
    "particle = [particle_count] = particles",
    # Endotoxin units (USP <85>): a biological activity, not convertible to mass.
    "endotoxin_unit = [endotoxin] = EU",
    "international_unit = [biological_activity] = IU",
    "enzyme_unit = [enzyme_activity] = U",
    "cmH2O = 98.0665 * pascal",
    "percent_fraction = 0.01 = pct",
]


@functools.cache
def registry() -> pint.UnitRegistry[float]:
    ureg: pint.UnitRegistry[float] = pint.UnitRegistry(
        autoconvert_offset_to_baseunit=True, on_redefinition="ignore"
    )
    for line in _EXTRA:
        ureg.define(line)
    return ureg


_POWER = re.compile(r"10\s*\^\s*(-?\d+)")


def normalise_unit_text(text: str) -> str:
    """Accept the ways people write units: '10^9/L', 'x10^6 cells/kg', 'µL', 'mmHg'."""
    t = text.strip().replace("µ", "u").replace("μ", "u").replace("×", "*")
    t = _POWER.sub(lambda m: f"1e{m.group(1)}", t)
    t = re.sub(r"^[xX*]\s*", "", t)
    t = t.replace("mm Hg", "mmHg")
    return t


def parse_unit(text: str, field: str = "unit") -> pint.Unit | Any:
    """A pint unit (or scaled unit expression) from text, or InvalidInput naming the field."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(f"{field}: a unit is required (e.g. 'cells/kg', 'mg/L')", field=field)
    try:
        return registry().parse_expression(normalise_unit_text(text))
    except (
        pint.errors.UndefinedUnitError,
        pint.errors.DefinitionSyntaxError,
        pint.errors.PintError,
        AttributeError,
        TypeError,
        ValueError,
        AssertionError,  # pint's expression parser asserts on some malformed text ('kg//')
    ) as exc:
        raise InvalidInput(
            f"{field}: {text!r} is not a unit msctrial knows ({exc})", field=field
        ) from None


def quantity(value: float, unit: str, field: str = "value") -> pint.Quantity[float]:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        raise InvalidInput(f"{field}: a finite number is required", field=field)
    parsed = parse_unit(unit, f"{field}.unit")
    if isinstance(parsed, pint.Quantity):
        # A scaled expression such as '10^9/L' parses to a quantity; an offset unit such as
        # degF parses to 1 degF and must not be multiplied (that would convert it to kelvin).
        return registry().Quantity(value * parsed.magnitude, parsed.units)
    return registry().Quantity(value, parsed)


def convert(value: float, from_unit: str, to_unit: str, field: str = "value") -> float:
    """``value`` in ``from_unit`` expressed in ``to_unit``; incompatible units name the field."""
    q = quantity(value, from_unit, field)
    target = parse_unit(to_unit, f"{field}.unit")
    scale = 1.0
    if isinstance(target, pint.Quantity):
        scale = float(target.magnitude)
        target = target.units
    try:
        return float(q.to(target).magnitude) / scale
    except pint.errors.DimensionalityError:
        raise InvalidInput(
            f"{field}: {from_unit!r} cannot be converted to {to_unit!r}; give the value in a "
            f"unit of the same kind as {to_unit!r}",
            field=field,
        ) from None


def is_compatible(unit: str, target: str) -> bool:
    try:
        a = parse_unit(unit)
        b = parse_unit(target)
    except InvalidInput:
        return False
    a_q = a if isinstance(a, pint.Quantity) else registry().Quantity(1, a)
    b_q = b if isinstance(b, pint.Quantity) else registry().Quantity(1, b)
    return bool(a_q.dimensionality == b_q.dimensionality)
