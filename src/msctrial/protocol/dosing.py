"""Dosing arithmetic: cells for a patient, bags to thaw, the planned days and their windows. Pure.

What a pharmacist works out at the bench and a protocol's schedule implies for one subject:
the administrations of an arm's schedule (study day ± window, optional ones flagged), their
calendar dates from day 0, and the cells one administration may hold for a body weight.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from msctrial.core.errors import InvalidInput
from msctrial.protocol.model import Dose, DoseUnit, Schedule

# Body weights outside this range are almost certainly entry errors (a weight in pounds or
# grams); adult trials of this kind enrol 18-80 year olds.
MIN_WEIGHT_KG = 20.0
MAX_WEIGHT_KG = 300.0


def _check_weight(weight_kg: float) -> None:
    if not (MIN_WEIGHT_KG <= weight_kg <= MAX_WEIGHT_KG):
        raise InvalidInput(
            f"weight_kg: {weight_kg} kg is implausible; give the body weight in kg "
            f"({MIN_WEIGHT_KG:g}-{MAX_WEIGHT_KG:g})",
            field="weight_kg",
        )


def total_cells(dose: Dose, weight_kg: float | None = None) -> float:
    """Cells in one administration: dose × weight for a per-kg dose, the dose itself if fixed."""
    if dose.unit is DoseUnit.cells:
        return dose.value
    if dose.unit is DoseUnit.cells_per_kg:
        if weight_kg is None:
            raise InvalidInput("weight_kg: a per-kg dose needs the body weight", field="weight_kg")
        _check_weight(weight_kg)
        return dose.value * weight_kg
    raise InvalidInput(
        f"dose.unit: {dose.unit.value} is not a cell dose; only cells/kg or cells can be counted",
        field="dose.unit",
    )


def dose_per_kg(cells: float, weight_kg: float) -> float:
    _check_weight(weight_kg)
    return cells / weight_kg


@dataclass(frozen=True)
class Preparation:
    """What to thaw for one administration."""

    cells_needed: float
    volume_ml: float
    units: int
    cells_supplied: float
    volume_supplied_ml: float


def units_needed(
    cells: float, cells_per_unit: float, volume_per_unit_ml: float | None = None
) -> Preparation:
    """Bags or vials to thaw for ``cells``: whole units, so at least the dose is supplied."""
    if cells <= 0:
        raise InvalidInput("cells: must be more than zero", field="cells")
    if cells_per_unit <= 0:
        raise InvalidInput("cells_per_unit: must be more than zero", field="cells_per_unit")
    if volume_per_unit_ml is not None and volume_per_unit_ml <= 0:
        raise InvalidInput("volume_per_unit_ml: must be more than zero", field="volume_per_unit_ml")
    # A relative tolerance keeps 3 × (1/3 of the dose) at 3 units despite rounding.
    units = max(1, math.ceil(cells / cells_per_unit - 1e-9))
    per_ml = cells_per_unit / volume_per_unit_ml if volume_per_unit_ml else None
    return Preparation(
        cells_needed=cells,
        volume_ml=cells / per_ml if per_ml else 0.0,
        units=units,
        cells_supplied=units * cells_per_unit,
        volume_supplied_ml=units * volume_per_unit_ml if volume_per_unit_ml else 0.0,
    )


def units_for_concentration(
    cells: float, concentration_per_ml: float, unit_volume_ml: float
) -> Preparation:
    """Bags needed when the product is labelled by concentration (cells/mL) and bag volume."""
    if concentration_per_ml <= 0:
        raise InvalidInput(
            "concentration_per_ml: must be more than zero", field="concentration_per_ml"
        )
    return units_needed(cells, concentration_per_ml * unit_volume_ml, unit_volume_ml)


def administration_dates(
    schedule: Schedule, day0: dt.date, include_optional: bool = False
) -> list[dt.date]:
    """Calendar dates of the administrations, counting from day 0."""
    days = schedule.all_days if include_optional else schedule.planned_days
    return [day0 + dt.timedelta(days=d) for d in days]


def administration_windows(
    schedule: Schedule, day0: dt.date
) -> list[tuple[dt.date, dt.date, dt.date]]:
    """(earliest, target, latest) date of each planned administration."""
    w = dt.timedelta(days=schedule.window_days)
    return [(d - w, d, d + w) for d in administration_dates(schedule, day0)]


# A cell count is measured to about ±10% (manual or automated counting of a thawed product);
# a single-valued protocol dose is accepted within that tolerance. A design choice (D).
SINGLE_DOSE_TOLERANCE = 0.10


@dataclass(frozen=True)
class PlannedDose:
    number: int
    study_day: int
    window_days: int
    optional: bool = False


def planned_schedule(schedule: Schedule) -> list[PlannedDose]:
    """The administrations of an arm's schedule, numbered from 1, optional ones flagged."""
    planned = set(schedule.planned_days)
    return [
        PlannedDose(i, day, schedule.window_days, optional=day not in planned)
        for i, day in enumerate(schedule.all_days, start=1)
    ]


def study_day(day0: dt.date, on: dt.date) -> int:
    """Days since day 0 (day 0 itself is 0; no day "-0" or skipped 0)."""
    return (on - day0).days


def window_dates(day0: dt.date, dose: PlannedDose) -> tuple[dt.date, dt.date, dt.date]:
    """(earliest, target, latest) calendar date of one administration."""
    target = day0 + dt.timedelta(days=dose.study_day)
    w = dt.timedelta(days=dose.window_days)
    return target - w, target, target + w


def dose_cells_range(dose: Dose, weight_kg: float) -> tuple[float, float]:
    """The cells one administration may contain: the protocol's range for this weight."""
    if dose.unit not in (DoseUnit.cells, DoseUnit.cells_per_kg):
        raise InvalidInput(f"dose.unit: {dose.unit.value} is not a cell dose", field="dose.unit")
    low = total_cells(dose, weight_kg)
    if dose.max is not None:
        high = total_cells(Dose(value=dose.max, unit=dose.unit), weight_kg)
        return low, high
    return low * (1 - SINGLE_DOSE_TOLERANCE), low * (1 + SINGLE_DOSE_TOLERANCE)


def target_cells(dose: Dose, weight_kg: float) -> float:
    """The cells to give: the protocol dose (the lower end of a range) for this weight."""
    return total_cells(dose, weight_kg)


@dataclass(frozen=True)
class AdministrationSize:
    """What one administration looks like at the bedside: bags, bag volume, volume to give.

    Both arms of a blinded trial get the size a cells patient of the same weight would get
    (issue 9): the same number of bags of the same volume, and the same volume infused.
    """

    units: int
    unit_volume_ml: float
    volume_ml: float
    cells: float


def size_administration(
    dose: Dose, weight_kg: float, cells_per_unit: float, unit_volume_ml: float
) -> AdministrationSize:
    """Bags for the protocol dose at this weight from units of this presentation.

    As few whole bags as hold the lower end of the protocol's range (``dose_cells_range``);
    all of them are given when they hold no more than its upper end, otherwise only the
    volume that holds the target dose.
    """
    low, high = dose_cells_range(dose, weight_kg)
    prep = units_needed(low, cells_per_unit, unit_volume_ml)
    if prep.cells_supplied <= high:
        return AdministrationSize(
            prep.units, unit_volume_ml, prep.volume_supplied_ml, prep.cells_supplied
        )
    target = target_cells(dose, weight_kg)
    volume = target * unit_volume_ml / cells_per_unit
    return AdministrationSize(prep.units, unit_volume_ml, volume, target)
